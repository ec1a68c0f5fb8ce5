/**
 * What PyTorch's SDPA runs as on Intel GPUs: the math path before 2.7, oneDNN's unfused SDPA on
 * Xe-HPG from 2.7, the fused one on Xe2; elsewhere the kernel asked is the one that runs.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { attentionRun, XPU_BACKEND_SINCE, XPU_ONEDNN_SDPA_SINCE } from '../../src/cost/attention-run.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { estimateJson } from '../../src/cost/report.ts';
import { makeWorkload, versionNumber, type WorkloadInput } from '../../src/cost/workload.ts';

const A770 = resolveDevice('Arc A770 16GB');
const B580 = resolveDevice('Arc B580');
const RTX = resolveDevice('RTX 4090');

const run = (device: typeof A770, input: Partial<WorkloadInput>) =>
  estimate(makeWorkload({ model: 'sdxl', ...input }), device, { strategy: 'gpu' });
const torch = (v: string) => ({ torch: versionNumber(v)! });

test('the versions are the releases they name', () => {
  assert.equal(XPU_BACKEND_SINCE, versionNumber('2.4'));
  assert.equal(XPU_ONEDNN_SDPA_SINCE, versionNumber('2.7'));
});

test('SDPA on an Intel GPU: math path before 2.7, unfused oneDNN on Xe-HPG from 2.7, fused on Xe2, IPEX before 2.4', () => {
  const flash = (software: { torch?: number }) => ({ attention: 'flash' as const, software });
  const kernels = (r: ReturnType<typeof attentionRun>) => [r.time, r.memory];
  assert.deepEqual(kernels(attentionRun(flash(torch('2.5')), A770)), ['naive', 'naive']);
  assert.deepEqual(kernels(attentionRun(flash(torch('2.6')), B580)), ['naive', 'naive']);
  assert.deepEqual(kernels(attentionRun(flash(torch('2.7')), A770)), ['naive', 'flash']);
  // Without a version, today's PyTorch.
  assert.deepEqual(kernels(attentionRun(flash({}), A770)), ['naive', 'flash']);
  assert.deepEqual(kernels(attentionRun(flash(torch('2.10')), A770)), ['naive', 'flash']);
  assert.deepEqual(kernels(attentionRun(flash(torch('2.7')), B580)), ['flash', 'flash']);
  assert.deepEqual(kernels(attentionRun(flash(torch('2.1')), A770)), ['flash', 'flash']);
  for (const r of [attentionRun(flash(torch('2.5')), A770), attentionRun(flash({}), A770)]) {
    assert.equal(r.requested, 'flash');
    assert.ok(r.reason && !r.reason.includes('\n'), 'a one-line reason');
  }
  assert.equal(attentionRun(flash({}), B580).reason, null);
});

test('a kernel asked other than SDPA, and every other backend, runs as asked', () => {
  for (const attention of ['naive', 'sliced'] as const)
    for (const d of [A770, B580])
      assert.deepEqual(attentionRun({ attention, software: torch('2.5') }, d), {
        requested: attention,
        time: attention,
        memory: attention,
        reason: null,
      });
  for (const d of [RTX, resolveDevice('RX 7900 XTX'), resolveDevice('Apple M2 Max')])
    assert.equal(attentionRun({ attention: 'flash', software: torch('2.5') }, d).reason, null);
});

test('an estimate on an A770 is timed and sized with the kernel that runs there', () => {
  const size = { width: 1024, height: 1024 };
  const denoise = (e: ReturnType<typeof run>) => e.chosen.memory.phases.find((p) => p.phase === 'denoising')!;
  const oneDnn = run(A770, { ...size, software: torch('2.7') });
  const mathPath = run(A770, { ...size, software: torch('2.5') });
  const naive = run(A770, { ...size, attention: 'naive', software: torch('2.7') });
  const fused = run(A770, { ...size, attention: 'flash', software: torch('2.1') });
  // oneDNN's SDPA: the materialised kernel's time, the fused kernel's memory.
  assert.equal(oneDnn.chosen.time.secondsPerStep, naive.chosen.time.secondsPerStep);
  assert.equal(denoise(oneDnn).activationBytes, denoise(fused).activationBytes);
  assert.ok(oneDnn.chosen.time.secondsPerStep > fused.chosen.time.secondsPerStep * 1.2);
  // The math path also holds the scores: SDXL's 4096-token self-attention, ten heads, CFG's two samples.
  const scores = 2 * 2 * 10 * 4096 * 4096 * 2;
  assert.ok(denoise(mathPath).activationBytes >= denoise(fused).activationBytes + scores * 0.9);
  assert.equal(mathPath.chosen.time.secondsPerStep, oneDnn.chosen.time.secondsPerStep);
  // The answer keeps the workload as asked and says what ran.
  const j = estimateJson(oneDnn);
  assert.equal(j.workload.attention, 'flash');
  assert.deepEqual([j.attention.requested, j.attention.time, j.attention.memory], ['flash', 'naive', 'flash']);
  assert.equal(estimateJson(run(RTX, size)).attention.reason, null);
});

test('the CPU strategy on an Arc machine runs its attention on the CPU, as asked', () => {
  const host = resolveDevice('Ryzen 9 7950X');
  const e = estimate(makeWorkload({ model: 'sd15' }), A770, { strategy: 'cpu', host });
  assert.equal(e.attention.reason, null);
  assert.equal(e.attention.time, 'flash');
});
