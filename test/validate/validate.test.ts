/** The validation against published measurements: every row evaluates, the split is stable, OOM facts hold. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogError } from '../../src/catalog/errors.ts';
import { validationMarkdown } from '../../src/validate/markdown.ts';
import { isHoldout, loadMeasuredRows } from '../../src/validate/rows.ts';
import { FAMILIES, validate } from '../../src/validate/validate.ts';

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

test('every thin family is reported on both splits, and each has held-out speed rows the fit never saw', () => {
  const r = validate();
  for (const f of FAMILIES) {
    const fam = r.summary.byFamily[f];
    const members = r.rows.filter((x) => x.families.includes(f));
    assert.equal(
      fam.train.speed.n + fam.train.memory.n + fam.holdout.speed.n + fam.holdout.memory.n,
      members.length,
      f,
    );
    assert.ok(fam.holdout.speed.n > 0, `${f} has no held-out speed row`);
  }
  // Family membership follows the row's conditions, not its id.
  const q = r.rows.find((x) => x.row.precision === 'q4_1')!;
  assert.ok(q.families.includes('quantized') && !q.families.includes('other'));
  const md = validationMarkdown(r, '2026-12-03');
  assert.match(md, /## By family/);
  for (const f of FAMILIES) assert.match(md, new RegExp(`\\| ${f} \\|`));
});

test('rows name their quantization library and stack as estimate flags, and an unknown library is rejected', () => {
  const rows = loadMeasuredRows();
  assert.ok(rows.some((x) => x.quantBackend === 'gguf') && rows.some((x) => x.stack?.rocm !== undefined));
  const line = (extra: string) =>
    `{"id":"X1","model":"flux1-dev","device":"H100 SXM","width":1024,"height":1024,"batch":1,"steps":28,"cfg":"off","precision":"nf4","strategy":"gpu","attention":"flash","vaeTiling":false,"compare":"secondsPerImage","value":10,"source":"s"${extra}}\n`;
  assert.equal(loadMeasuredRows('ok.jsonl', () => line(',"quantBackend":"bnb"'))[0]!.quantBackend, 'bnb');
  assert.throws(
    () => loadMeasuredRows('bad.jsonl', () => line(',"quantBackend":"marlin"')),
    (e: unknown) => e instanceof CatalogError && /bad\.jsonl:1: quantBackend/.test(e.message),
  );
});
