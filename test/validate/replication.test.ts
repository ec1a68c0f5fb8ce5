/** The sources' own disagreement: pairs only across publications of one setup, and the √2 floor. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publication, replication } from '../../src/validate/replication.ts';
import type { MeasuredRow } from '../../src/validate/rows.ts';
import { type RowResult, validate } from '../../src/validate/validate.ts';

const row = (id: string, source: string, extra: Partial<MeasuredRow> = {}): MeasuredRow => ({
  id,
  model: 'sd15',
  device: 'GeForce RTX 4090',
  width: 512,
  height: 512,
  batch: 1,
  steps: 50,
  cfg: 'on',
  precision: 'fp16',
  strategy: 'gpu',
  attention: 'flash',
  vaeTiling: false,
  compare: 'secondsPerImage',
  value: 1,
  source,
  ...extra,
});

const result = (r: MeasuredRow, predicted: number): RowResult => ({
  row: r,
  families: ['other'],
  predicted,
  error: Math.abs(predicted - r.value) / r.value,
  split: 'train',
  vendor: 'NVIDIA',
});

test('a publication is the document, whatever commit or date locates it', () => {
  assert.equal(publication('github a/b docs/x.md @abc123 (2023-03)'), 'github a/b docs/x.md');
  assert.equal(publication('github a/b docs/x.md @def456'), 'github a/b docs/x.md');
  assert.notEqual(publication('github a/b docs/x.md @1'), publication('github a/b docs/y.md @1'));
});

test('only rows of one setup from different publications pair up, and the floor is the pair gap over √2', () => {
  const results = [
    // One setup, three publications: the estimate says 1 s for all; they measured 1, 2 and 4 s.
    result(row('A', 'doc-a @1', { value: 1 }), 1),
    result(row('B', 'doc-b', { value: 2 }), 1),
    result(row('C', 'doc-c (2024)', { value: 4 }), 1),
    // The same publication twice (another commit): not a replication.
    result(row('A2', 'doc-a @2', { value: 8 }), 1),
    // Another batch is another setup, with nothing to pair with.
    result(row('D', 'doc-b', { batch: 4, value: 16 }), 1),
    // A rate counts the other way round: 0.5 it/s measured where 1 was predicted is a time twice as long.
    result(row('E', 'doc-d', { compare: 'stepsPerSecond', batch: 2, value: 0.5 }), 1),
    result(row('F', 'doc-e', { batch: 2, value: 1 }), 1),
    // Memory rows are not speed: left out.
    result(row('G', 'doc-f', { compare: 'peakAllocatedBytes', value: 1e9 }), 2e9),
    result(row('H', 'doc-g', { compare: 'peakAllocatedBytes', value: 2e9 }), 2e9),
  ];
  const r = replication(results);
  assert.equal(r.setups, 2);
  // Setup 1: A–B, A–C, B–C, A2–B, A2–C (A–A2 is one publication); setup 2: E–F.
  assert.equal(r.pairs, 6);
  const ln2 = Math.log(2);
  // Gaps in ln: A–B ln2, A–C 2ln2, B–C ln2, A2–B 2ln2, A2–C ln2, E–F ln2. Each counts once too slow
  // (e^(g/√2) − 1) and once too fast (1 − e^(−g/√2)): four times 0.387 and 0.632 (ln2), twice 0.625
  // and 1.665 (2ln2). Sorted, index 6 of 12 is 0.632, index 10 is 1.665.
  const up = (g: number) => Math.expm1(g / Math.SQRT2);
  assert.ok(Math.abs(r.floor.median - up(ln2)) < 1e-12, String(r.floor.median));
  assert.ok(Math.abs(r.floor.p90 - up(2 * ln2)) < 1e-12, String(r.floor.p90));
  // Without the disagreeing rows there is nothing to measure.
  assert.equal(replication(results.slice(7)).pairs, 0);
  assert.ok(Number.isNaN(replication([]).floor.median));
});

test('the shipped rows have replicated setups, and validate reports their floor', () => {
  const r = validate();
  const rep = r.summary.replication;
  assert.ok(rep.setups >= 10 && rep.pairs >= rep.setups, JSON.stringify(rep));
  assert.ok(rep.floor.median > 0 && rep.floor.p90 >= rep.floor.median);
});
