/**
 * The accuracy ratchet: the validate figures committed in data/eval/accuracy-ratchet.json may only get
 * better. A change that makes any median or p90 (speed or memory; all rows, training, held-out) worse
 * by more than half a point fails here; one that improves them should lower the committed numbers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ownCpuReport } from '../../src/validate/own-cpu.ts';
import { validate } from '../../src/validate/validate.ts';

type Split = 'all' | 'train' | 'holdout';
type Figures = Record<'speed' | 'memory', Record<Split, { median: number; p90: number }>>;

const SLACK_POINTS = 0.5;
const committed = JSON.parse(
  readFileSync(new URL('../../data/eval/accuracy-ratchet.json', import.meta.url), 'utf8'),
) as Figures & { ownCpu: { checked: { median: number; p90: number } } };

test('no validate figure is worse than the committed one by more than half a point', () => {
  const { summary } = validate();
  const worse: string[] = [];
  for (const kind of ['speed', 'memory'] as const)
    for (const split of ['all', 'train', 'holdout'] as const)
      for (const stat of ['median', 'p90'] as const) {
        const now = (summary[kind][split][stat] ?? Number.NaN) * 100;
        const then = committed[kind][split][stat];
        if (!(now <= then + SLACK_POINTS))
          worse.push(`${kind} ${split} ${stat}: ${now.toFixed(2)} % (committed ${then} %)`);
      }
  assert.deepEqual(worse, []);
});

test('the kept CPU runs never fitted are predicted no worse than committed, by more than half a point', () => {
  const { checked } = ownCpuReport();
  for (const stat of ['median', 'p90'] as const) {
    const now = checked[stat] * 100;
    const then = committed.ownCpu.checked[stat];
    assert.ok(now <= then + SLACK_POINTS, `own CPU ${stat}: ${now.toFixed(2)} % (committed ${then} %)`);
  }
});
