/**
 * What PyTorch's SDPA runs as: on Intel GPUs the math path before 2.7, oneDNN's unfused SDPA on
 * Xe-HPG from 2.7, the fused one on Xe2; on AMD's consumer GPUs the math path from a script; the
 * math path in fp32 from PyTorch 2.5 on; elsewhere the kernel asked.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDevice } from '../../src/catalog/devices.ts';
import {
  attentionRun,
  MATH_SDPA_FP32_SINCE,
  XPU_BACKEND_SINCE,
  XPU_ONEDNN_SDPA_SINCE,
} from '../../src/cost/attention-run.ts';
import { attentionWorkspace } from '../../src/cost/breakdown.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { estimateJson } from '../../src/cost/report.ts';
import type { Op } from '../../src/cost/types.ts';
import { type Frontend, makeWorkload, versionNumber, type WorkloadInput } from '../../src/cost/workload.ts';

const A770 = resolveDevice('Arc A770 16GB');
const B580 = resolveDevice('Arc B580');
const RTX = resolveDevice('RTX 4090');
const XTX = resolveDevice('RX 7900 XTX');
const MI300 = resolveDevice('MI300X');

const run = (device: typeof A770, input: Partial<WorkloadInput>) =>
  estimate(makeWorkload({ model: 'sdxl', ...input }), device, { strategy: 'gpu' });
const torch = (v: string) => versionNumber(v)!;
const flash = (software: { torch?: number; frontend?: Frontend }) => ({ attention: 'flash' as const, software });
const kernels = (r: ReturnType<typeof attentionRun>) => [r.time, r.memory];

test('the versions are the releases they name', () => {
  assert.equal(XPU_BACKEND_SINCE, versionNumber('2.4'));
  assert.equal(MATH_SDPA_FP32_SINCE, versionNumber('2.5'));
  assert.equal(XPU_ONEDNN_SDPA_SINCE, versionNumber('2.7'));
});

test('SDPA on an Intel GPU: math path before 2.7, unfused oneDNN on Xe-HPG from 2.7, fused on Xe2, IPEX before 2.4', () => {
  assert.deepEqual(kernels(attentionRun(flash({ torch: torch('2.5') }), A770)), ['math', 'math']);
  assert.deepEqual(kernels(attentionRun(flash({ torch: torch('2.6') }), B580)), ['math', 'math']);
  assert.deepEqual(kernels(attentionRun(flash({ torch: torch('2.7') }), A770)), ['naive', 'flash']);
  // Without a version, today's PyTorch.
  assert.deepEqual(kernels(attentionRun(flash({}), A770)), ['naive', 'flash']);
  assert.deepEqual(kernels(attentionRun(flash({ torch: torch('2.10') }), A770)), ['naive', 'flash']);
  assert.deepEqual(kernels(attentionRun(flash({ torch: torch('2.7') }), B580)), ['flash', 'flash']);
  assert.deepEqual(kernels(attentionRun(flash({ torch: torch('2.1') }), A770)), ['flash', 'flash']);
  for (const r of [attentionRun(flash({ torch: torch('2.5') }), A770), attentionRun(flash({}), A770)]) {
    assert.equal(r.requested, 'flash');
    assert.ok(r.reason && !r.reason.includes('\n'), 'a one-line reason');
  }
  assert.equal(attentionRun(flash({}), B580).reason, null);
});

test('the math path is fp32 from PyTorch 2.5 (its default upcast), 16-bit before, from an app or a script', () => {
  for (const frontend of ['app', 'script'] as const) {
    const at = (v: string) => flash({ frontend, torch: torch(v) });
    assert.deepEqual(kernels(attentionRun(at('2.5'), A770)), ['math', 'math'], frontend);
    assert.deepEqual(kernels(attentionRun(at('2.4'), A770)), ['naive', 'naive'], frontend);
    assert.match(attentionRun(at('2.6'), A770).reason!, /in fp32/);
    assert.doesNotMatch(attentionRun(at('2.4'), A770).reason!, /fp32/);
    // oneDNN's SDPA from 2.7 is not the math path.
    assert.deepEqual(kernels(attentionRun(at('2.7'), A770)), ['naive', 'flash'], frontend);
  }
});

test("AMD's consumer GPUs run a script's SDPA as the math path; datacenter parts and apps as asked", () => {
  const script = (v?: string) => flash({ frontend: 'script', ...(v ? { torch: torch(v) } : {}) });
  for (const d of [XTX, resolveDevice('RX 6800 XT'), resolveDevice('RX 9070 XT')]) {
    assert.deepEqual(kernels(attentionRun(script(), d)), ['math', 'math'], d.name);
    assert.deepEqual(kernels(attentionRun(script('2.4'), d)), ['naive', 'naive'], d.name);
    assert.match(attentionRun(script(), d).reason!, /TORCH_ROCM_AOTRITON_ENABLE_EXPERIMENTAL=1/);
    assert.equal(attentionRun(flash({}), d).reason, null, `${d.name} from an app`);
  }
  assert.equal(attentionRun(script(), MI300).reason, null);
});

test('a kernel asked other than SDPA, and CUDA and MPS, run as asked', () => {
  for (const attention of ['naive', 'sliced'] as const)
    for (const d of [A770, B580, XTX])
      assert.deepEqual(attentionRun({ attention, software: { torch: torch('2.5'), frontend: 'script' } }, d), {
        requested: attention,
        time: attention,
        memory: attention,
        reason: null,
      });
  for (const d of [RTX, resolveDevice('Apple M2 Max')])
    assert.equal(attentionRun(flash({ torch: torch('2.5'), frontend: 'script' }), d).reason, null);
});

test('the math path holds its scores and their softmax in fp32', () => {
  const op = { attention: { heads: 10, queries: 4096, keys: 4096, headDim: 64 } } as Op;
  assert.equal(attentionWorkspace(op, 2, 'math', 2), 2 * attentionWorkspace(op, 2, 'naive', 2));
  assert.equal(attentionWorkspace(op, 2, 'math', 2), 2 * 2 * 10 * 4096 * 4096 * 4);
});

test('an estimate on an A770 is timed and sized with the kernel that runs there', () => {
  const size = { width: 1024, height: 1024 };
  const denoise = (e: ReturnType<typeof run>) => e.chosen.memory.phases.find((p) => p.phase === 'denoising')!;
  const oneDnn = run(A770, { ...size, software: { torch: torch('2.7') } });
  const mathPath = run(A770, { ...size, software: { torch: torch('2.4') } });
  const naive = run(A770, { ...size, attention: 'naive', software: { torch: torch('2.7') } });
  const fused = run(A770, { ...size, attention: 'flash', software: { torch: torch('2.1') } });
  // oneDNN's SDPA: the materialised kernel's time, the fused kernel's memory.
  assert.equal(oneDnn.chosen.time.secondsPerStep, naive.chosen.time.secondsPerStep);
  assert.equal(denoise(oneDnn).activationBytes, denoise(fused).activationBytes);
  assert.ok(oneDnn.chosen.time.secondsPerStep > fused.chosen.time.secondsPerStep * 1.2);
  // PyTorch 2.4's math path (16-bit) also holds the scores: SDXL's 4096-token self-attention, ten
  // heads, CFG's two samples.
  const scores = 2 * 2 * 10 * 4096 * 4096 * 2;
  assert.ok(denoise(mathPath).activationBytes >= denoise(fused).activationBytes + scores * 0.9);
  assert.equal(mathPath.chosen.time.secondsPerStep, oneDnn.chosen.time.secondsPerStep);
  // The answer keeps the workload as asked and says what ran.
  const j = estimateJson(oneDnn);
  assert.equal(j.workload.attention, 'flash');
  assert.deepEqual([j.attention.requested, j.attention.time, j.attention.memory], ['flash', 'naive', 'flash']);
  assert.equal(estimateJson(run(RTX, size)).attention.reason, null);
});

test("a script's fp32 math path on an RX 7900 XTX costs more time and memory than the 16-bit one", () => {
  const size = { width: 1024, height: 1024 };
  const denoise = (e: ReturnType<typeof run>) => e.chosen.memory.phases.find((p) => p.phase === 'denoising')!;
  const fp32 = run(XTX, { ...size, software: { frontend: 'script' } });
  const half = run(XTX, { ...size, software: { frontend: 'script', torch: torch('2.4') } });
  const app = run(XTX, size);
  assert.equal(fp32.attention.time, 'math');
  assert.ok(denoise(fp32).activationBytes > denoise(half).activationBytes * 1.5);
  assert.ok(fp32.chosen.time.secondsPerStep > half.chosen.time.secondsPerStep);
  assert.ok(half.chosen.time.secondsPerStep > app.chosen.time.secondsPerStep);
});

test('the CPU strategy on an Arc machine runs its attention on the CPU, as asked', () => {
  const host = resolveDevice('Ryzen 9 7950X');
  const e = estimate(makeWorkload({ model: 'sd15' }), A770, { strategy: 'cpu', host });
  assert.equal(e.attention.reason, null);
  assert.equal(e.attention.time, 'flash');
});
