/**
 * Graded headroom: a fit is judged on what the run needs (allocated + runtime context), not on the
 * allocator cache PyTorch gives back before failing, and graded against the memory model's own
 * measured error. The memoised breakdown and times give the very figures the plain functions give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listDevices, resolveDevice } from '../../src/catalog/devices.ts';
import { breakdown } from '../../src/cost/breakdown.ts';
import { MODEL_CONSTANTS } from '../../src/cost/constants.ts';
import { breakdownOf, estimate } from '../../src/cost/estimate.ts';
import { fitGrade, MEMORY_ERROR_P90 } from '../../src/cost/memory.ts';
import { estimateJson } from '../../src/cost/report.ts';
import { makeWorkload } from '../../src/cost/workload.ts';
import { validate } from '../../src/validate/validate.ts';

test('the committed memory error is the p90 that genready validate measures (within a point)', () => {
  const p90 = validate().summary.memory.all.p90;
  assert.ok(Math.abs(MEMORY_ERROR_P90 - p90) <= 0.01, `committed ${MEMORY_ERROR_P90}, validate says ${p90.toFixed(3)}`);
});

test('grades: over usable does not fit; within the p90 error of it is tight; below is comfortable', () => {
  const usable = 12e9;
  assert.equal(fitGrade(12.1e9, usable), 'does-not-fit');
  assert.equal(fitGrade(usable, usable), 'tight');
  assert.equal(fitGrade(usable / (1 + MEMORY_ERROR_P90) + 1e6, usable), 'tight');
  assert.equal(fitGrade(usable / (1 + MEMORY_ERROR_P90) - 1e6, usable), 'comfortable');
  assert.equal(fitGrade(4e9, usable), 'comfortable');
});

const WORKLOADS = [
  { model: 'sd15' },
  { model: 'sdxl', width: 1024, height: 1024 },
  { model: 'sdxl', width: 1024, height: 1024, batch: 4 },
  { model: 'sdxl', width: 1536, height: 1536 },
  { model: 'flux-dev', precision: 'fp8' },
  { model: 'sd35-large' },
];

test('the fit is what the run needs: required ≤ usable exactly when it fits; the cache is apart', () => {
  const devices = listDevices().filter((d) => d.backend !== 'cpu');
  let tight = 0;
  for (const input of WORKLOADS) {
    const w = makeWorkload(input);
    for (const d of devices) {
      const e = estimate(w, d);
      for (const a of e.alternatives.filter((x) => x.strategy !== 'cpu')) {
        const m = a.memory;
        assert.equal(a.fits, m.peakRequiredBytes <= e.usable.bytes, `${d.name} ${a.strategy}`);
        assert.ok(m.peakRequiredBytes <= m.peakDeviceBytes + 1);
        assert.ok(Math.abs(m.peakDeviceBytes - m.peakRequiredBytes - m.allocatorCacheBytes) < 1);
        assert.equal(
          m.peakRequiredBytes,
          m.peakAllocatedBytes + MODEL_CONSTANTS.reservedFixedBytes + MODEL_CONSTANTS.contextBytes,
        );
        assert.equal(a.fitGrade, fitGrade(m.peakRequiredBytes, e.usable.bytes));
        if (a.fitGrade === 'tight') tight++;
      }
    }
  }
  assert.ok(tight > 0, 'some catalog fits are tight');
});

test('SDXL 1024² on a 12 GB card is tight (12.3 of 12.4 GB), not a green "fits"; SD 1.5 is comfortable', () => {
  const d = resolveDevice('RTX 3060 12GB');
  const sdxl = estimate(makeWorkload({ model: 'sdxl', width: 1024, height: 1024 }), d, { strategy: 'gpu' });
  assert.equal(sdxl.chosen.fitGrade, 'tight');
  assert.equal(estimateJson(sdxl).fitGrade, 'tight');
  const sd15 = estimate(makeWorkload({ model: 'sd15' }), d, { strategy: 'gpu' });
  assert.equal(sd15.chosen.fitGrade, 'comfortable');
  // Where the card has room, the allocator caches beyond the need: reported apart, never graded.
  assert.ok(sd15.chosen.memory.allocatorCacheBytes > 0);
});

test('host RAM counts in the grade: FLUX bf16 with model offload in 32 GiB does not fit, in 64 GiB it does', () => {
  const w = makeWorkload({ model: 'flux-dev' });
  const d = resolveDevice('RTX 4090');
  assert.equal(estimate(w, d, { strategy: 'model-offload', ramGiB: 32 }).chosen.fitGrade, 'does-not-fit');
  assert.notEqual(estimate(w, d, { strategy: 'model-offload', ramGiB: 64 }).chosen.fitGrade, 'does-not-fit');
});

test('memoised breakdown and times give byte-identical estimates', () => {
  for (const input of WORKLOADS) {
    const w = makeWorkload(input);
    assert.deepEqual(breakdownOf(w), breakdown(w));
    assert.equal(breakdownOf(makeWorkload(input)), breakdownOf(w), 'the same workload shares one breakdown');
    for (const name of ['RTX 4090', 'RX 7900 XTX', 'Apple M2']) {
      const d = resolveDevice(name);
      // Explicit constants bypass the time memo: the reference figures.
      const plain = estimateJson(estimate(w, d, { constants: MODEL_CONSTANTS, ramGiB: 32 }));
      const memo1 = estimateJson(estimate(w, d, { ramGiB: 32 }));
      const memo2 = estimateJson(estimate(w, d, { ramGiB: 32 }));
      assert.deepEqual(memo1, plain);
      assert.deepEqual(memo2, plain);
    }
  }
});
