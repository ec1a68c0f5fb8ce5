/** The validation against published measurements: every row evaluates, the split is stable, OOM facts hold. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogError } from '../../src/catalog/errors.ts';
import { isHoldout, loadMeasuredRows } from '../../src/validate/rows.ts';
import { validate } from '../../src/validate/validate.ts';

test('every published row is estimated (no failures) and both splits are reported', () => {
  const r = validate();
  assert.equal(
    r.rows.filter((x) => x.predicted === null).length,
    0,
    r.rows
      .filter((x) => x.failure)
      .map((x) => `${x.row.id}: ${x.failure}`)
      .join('\n'),
  );
  assert.ok(r.summary.speed.holdout.n > 0 && r.summary.speed.train.n > 0);
  assert.equal(r.summary.speed.all.n + r.summary.memory.all.n, loadMeasuredRows().length);
  // The model never claims to fit where a published run went out of memory.
  assert.equal(r.summary.oomViolations, 0);
});

test('the held-out split is about a quarter and depends only on the row id', () => {
  const rows = loadMeasuredRows();
  const held = rows.filter((r) => isHoldout(r.id)).length / rows.length;
  assert.ok(held > 0.15 && held < 0.35, String(held));
  assert.equal(isHoldout('M0046'), isHoldout('M0046'));
});

test('a corrupt evaluation file is a one-line CatalogError naming the line', () => {
  const read = () => '{"id": "X1", "model": "sd15"}\nnot json\n';
  assert.throws(
    () => loadMeasuredRows('bad.jsonl', read),
    (e: unknown) => e instanceof CatalogError && /bad\.jsonl:1: /.test(e.message),
  );
});
