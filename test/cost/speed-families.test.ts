/**
 * The speed model for the families the published rows showed it missing: quantized layers cost
 * their library's kernels, fp8 needs fp8 tensor cores, the software stack's version counts where it
 * is named, fused attention pads its tiles, and CPUs are rated by their vector unit.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workloadInput } from '../../src/answers/workload.ts';
import { cpuDevice } from '../../src/catalog/cpu.ts';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { WorkloadError } from '../../src/catalog/errors.ts';
import { EAGER } from '../../src/cost/analyze/dit.ts';
import { breakdown } from '../../src/cost/breakdown.ts';
import { MODEL_CONSTANTS } from '../../src/cost/constants.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { resolveQuantBackend } from '../../src/cost/precision.ts';
import { cpuEfficiency, flashTileUse, matrixClock } from '../../src/cost/time.ts';
import { makeWorkload, versionNumber, type WorkloadInput } from '../../src/cost/workload.ts';

const step = (device: string, input: Partial<WorkloadInput>) =>
  estimate(makeWorkload({ model: 'flux1-dev', ...input }), resolveDevice(device), { strategy: 'gpu' }).chosen.time
    .secondsPerStep;

test('each quantized format runs with its usual library unless one is named; a mismatch is a WorkloadError', () => {
  assert.equal(resolveQuantBackend('nf4'), 'bnb');
  assert.equal(resolveQuantBackend('q4_k'), 'gguf');
  assert.equal(resolveQuantBackend('fp8'), 'cast');
  assert.equal(resolveQuantBackend('bf16'), null);
  assert.equal(resolveQuantBackend('int8', 'Quanto'), 'quanto');
  for (const [p, b] of [
    ['int8', 'gguf'],
    ['fp16', 'bnb'],
    ['nf4', 'marlin'],
  ] as const)
    assert.throws(
      () => resolveQuantBackend(p, b),
      (e: unknown) => e instanceof WorkloadError && e.code === 'bad-quant-backend' && !e.message.includes('\n'),
    );
  assert.throws(() => makeWorkload({ model: 'flux1-dev', precision: 'q8_0', quantBackend: 'torchao' }), WorkloadError);
});

test('smaller stored weights are no speed-up on a fast GPU: every library pays its dequantization per step', () => {
  const bf16 = step('H100 SXM', { precision: 'bf16' });
  const q8 = step('H100 SXM', { precision: 'q8_0' });
  const q4 = step('H100 SXM', { precision: 'q4_1' });
  const nf4 = step('H100 SXM', { precision: 'nf4' });
  const cast = step('H100 SXM', { precision: 'fp8', quantBackend: 'cast' });
  const quanto = step('H100 SXM', { precision: 'fp8', quantBackend: 'quanto' });
  const llmInt8 = step('H100 SXM', { precision: 'int8', quantBackend: 'bnb' });
  const int4 = step('H100 SXM', { precision: 'int4', quantBackend: 'torchao' });
  for (const [name, t] of Object.entries({ q8, q4, nf4, cast, quanto, llmInt8, int4 }))
    assert.ok(t > bf16, `${name} ${t} should be slower than bf16 ${bf16}`);
  // More torch ops per layer cost more: GGUF's 4-bit unpacking over Q8_0's single multiply, quanto's
  // scale pass over a bare cast, LLM.int8's read-back and activation passes over a weight-only path.
  assert.ok(q4 > q8 && q8 >= cast * 0.99);
  assert.ok(quanto > cast);
  assert.ok(llmInt8 > quanto);
  // tinygemm-style int4 kernels are built for a few tokens, not thousands: several times slower.
  assert.ok(int4 > 3 * bf16, `int4 ${int4} vs bf16 ${bf16}`);
});

test('fp8 matmuls need fp8 tensor cores: faster on an RTX 4090, the same as upcasting on an RTX 3090', () => {
  const native4090 = step('RTX 4090', { precision: 'fp8', quantBackend: 'fp8-native' });
  const cast4090 = step('RTX 4090', { precision: 'fp8', quantBackend: 'cast' });
  assert.ok(native4090 < 0.8 * cast4090, `${native4090} vs ${cast4090}`);
  const native3090 = step('RTX 3090', { precision: 'fp8', quantBackend: 'fp8-native' });
  const cast3090 = step('RTX 3090', { precision: 'fp8', quantBackend: 'cast' });
  assert.equal(native3090, cast3090);
});

test('the software version counts only where it is named and only where it matters', () => {
  const sdxl = (device: string, software: WorkloadInput['software']) =>
    estimate(makeWorkload({ model: 'sdxl', software }), resolveDevice(device), { strategy: 'gpu' }).chosen.time
      .secondsPerStep;
  // RDNA4 before ROCm 7 runs generic kernels; RDNA2 was tuned long before.
  assert.ok(sdxl('RX 9070 XT', { rocm: 6.4 }) > 2 * sdxl('RX 9070 XT', { rocm: 7.0 }));
  assert.equal(sdxl('RX 9070 XT', {}), sdxl('RX 9070 XT', { rocm: 7.0 }));
  assert.equal(sdxl('RX 6900 XT', { rocm: 6.3 }), sdxl('RX 6900 XT', {}));
  assert.ok(sdxl('Apple M1 Max', { torch: 1.13 }) > sdxl('Apple M1 Max', { torch: 2.5 }));
  assert.equal(sdxl('RTX 4090', { rocm: 5.0, torch: 1.13 }), sdxl('RTX 4090', {}));
});

test('a script calling the library pays less per call than an app, and only per call', () => {
  const run = (frontend?: 'app' | 'script') =>
    estimate(
      makeWorkload({ model: 'sd15', batch: 2, ...(frontend ? { software: { frontend } } : {}) }),
      resolveDevice('RTX 4090'),
      {
        strategy: 'gpu',
      },
    ).chosen.time;
  const app = run('app');
  const script = run('script');
  // An app is the default; the step is the same; the call differs by the two constants, shared by the batch.
  assert.deepEqual(run(), app);
  assert.equal(script.secondsPerStep, app.secondsPerStep);
  const K = MODEL_CONSTANTS;
  assert.ok(K.scriptCallOverheadSeconds < K.callOverheadSeconds);
  assert.ok(
    Math.abs(app.secondsPerImage - script.secondsPerImage - (K.callOverheadSeconds - K.scriptCallOverheadSeconds) / 2) <
      1e-12,
  );
  assert.throws(
    () => makeWorkload({ model: 'sd15', software: { frontend: 'notebook' as 'app' } }),
    (e: unknown) => e instanceof WorkloadError && e.code === 'bad-frontend' && !e.message.includes('\n'),
  );
});

test('fused attention pads keys and queries to blocks of 128 and heads to multiples of 32', () => {
  assert.equal(flashTileUse({ queries: 4096, keys: 4096, headDim: 64 }), 1);
  assert.equal(flashTileUse({ queries: 4096, keys: 77, headDim: 64 }), 77 / 128);
  assert.equal(flashTileUse({ queries: 4096, keys: 4096, headDim: 40 }), 40 / 64);
  assert.equal(flashTileUse({ queries: 4096, keys: 4096, headDim: 72 }), 72 / 96);
});

test('a CPU is rated by its widest vector unit, not by the GPU fit', () => {
  const avx2 = cpuDevice({ model: 'AMD EPYC', cores: 2, simd: { avx2: true } });
  const avx512 = cpuDevice({ model: 'Xeon', cores: 2, simd: { avx2: true, avx512: true, amx: true } });
  assert.equal(cpuEfficiency(avx2, MODEL_CONSTANTS), MODEL_CONSTANTS.cpu.avx2);
  assert.equal(cpuEfficiency(avx512, MODEL_CONSTANTS), MODEL_CONSTANTS.cpu.avx512);
  // A GPU refit (vector efficiency) leaves CPU predictions where the CPU measurements put them.
  const w = makeWorkload({ model: 'sd15', width: 256, height: 256, precision: 'fp32' });
  const t = (K: typeof MODEL_CONSTANTS) =>
    estimate(w, avx2, { strategy: 'cpu', constants: K }).chosen.time.secondsPerStep;
  const moved = { ...MODEL_CONSTANTS, efficiency: { ...MODEL_CONSTANTS.efficiency, vector: 0.1, bandwidth: 0.1 } };
  assert.equal(t(moved), t(MODEL_CONSTANTS));
});

test('versions order as releases do (2.10 after 2.9), the patch dropped; the answers room parses them into the workload', () => {
  assert.equal(versionNumber('7.0.2'), 7);
  assert.equal(versionNumber(6.4), versionNumber('6.4'));
  assert.ok(versionNumber('2.10')! > versionNumber('2.9')!);
  assert.ok(versionNumber('6.4')! < versionNumber('7')!);
  for (const bad of ['six', '', '2.x', '-1']) assert.equal(versionNumber(bad), null);
  const w = makeWorkload(workloadInput({ model: 'sdxl', rocmVersion: versionNumber('6.4')!, torchVersion: 2.05 }));
  assert.deepEqual(w.software, { rocm: 6.04, torch: 2.05 });
  assert.throws(() => makeWorkload({ model: 'sdxl', software: { rocm: Number.NaN } }), WorkloadError);
});

test('a FLUX block pays the eager kernels diffusers launches beside its GEMMs: adaLN, gates, q/k RMSNorm, RoPE, copies', () => {
  const flux = breakdown(makeWorkload({ model: 'flux1-dev', width: 1024, height: 1024 })).find(
    (c) => c.role === 'denoiser',
  )!;
  const joint = flux.ops.find((o) => o.name === 'double0.eager.joint')!;
  const L = 4096 + 512;
  const d = 3072;
  // ioElems counts 2-byte elements: bytes / 2.
  const bytes = 2 * EAGER.rmsNorm.bytes + 2 * EAGER.rope.bytes + 4 * EAGER.copy.bytes;
  assert.equal(joint.ioElems, (L * d * bytes) / 2);
  assert.equal(joint.launches, 2 * EAGER.rmsNorm.kernels + 2 * EAGER.rope.kernels + 4 * EAGER.copy.kernels);
  // PixArt has no RoPE and no q/k norm: only modulation and gates.
  const pixart = breakdown(makeWorkload({ model: 'pixart-sigma' })).find((c) => c.role === 'denoiser')!;
  const eager = pixart.ops.filter((o) => o.name.includes('eager'));
  assert.ok(eager.length > 0 && eager.every((o) => o.launches === 2 * EAGER.modulate.kernels + 2 * EAGER.gate.kernels));
  // They cost time: without them a FLUX step on an H100 would be faster.
  const h100 = resolveDevice('H100 SXM');
  const w = makeWorkload({ model: 'flux1-dev' });
  const K = { ...MODEL_CONSTANTS, efficiency: { ...MODEL_CONSTANTS.efficiency, bandwidth: 1e6 }, launchSeconds: 0 };
  const full = estimate(w, h100, { strategy: 'gpu' }).chosen.time.secondsPerStep;
  const bare = estimate(w, h100, { strategy: 'gpu', constants: K }).chosen.time.secondsPerStep;
  assert.ok(full > 1.2 * bare, `${full} vs ${bare}`);
});

test('power caps slow tensor-core work only: a slot-powered T4 runs fp16 GEMMs at its lower clock, fp32 FMA work not', () => {
  const K = MODEL_CONSTANTS;
  assert.equal(matrixClock(resolveDevice('Tesla T4'), K), K.sustainedClock.slotPowered);
  assert.equal(matrixClock(resolveDevice('H100 SXM'), K), K.sustainedClock.datacenter);
  assert.equal(matrixClock(resolveDevice('RTX 4090'), K), K.sustainedClock.desktop);
  // Workstation boards hold their power cap like datacenter ones; a 70 W one is slot-powered.
  assert.equal(matrixClock(resolveDevice('RTX A6000'), K), K.sustainedClock.datacenter);
  assert.equal(matrixClock(resolveDevice('RTX A2000 12GB'), K), K.sustainedClock.slotPowered);
  const t4 = resolveDevice('Tesla T4');
  const uncapped = { ...K, sustainedClock: { ...K.sustainedClock, slotPowered: K.sustainedClock.datacenter } };
  const sd15 = (precision: string, constants: typeof K) =>
    estimate(makeWorkload({ model: 'sd15', precision, batch: 4 }), t4, { strategy: 'gpu', constants }).chosen.time
      .secondsPerStep;
  assert.ok(sd15('fp16', K) > 1.3 * sd15('fp16', uncapped));
  assert.equal(sd15('fp32', K), sd15('fp32', uncapped));
});

test('offload copies are capped by the pageable staging rate, whatever the PCIe generation; quantized weights move slower', () => {
  const K = MODEL_CONSTANTS;
  const offload = (device: string, precision: string) => {
    const e = estimate(makeWorkload({ model: 'flux1-dev', precision }), resolveDevice(device), {
      strategy: 'model-offload',
      ramGiB: 256,
    });
    const moved = e.parts.reduce((s, c) => s + 2 * c.weightBytes, 0);
    const transfer = e.chosen.time.phases.reduce((s, p) => s + p.transferSeconds, 0);
    return { moved, transfer };
  };
  // H100 SXM (PCIe 5) and A100 (PCIe 4) both at the pageable cap.
  for (const device of ['H100 SXM', 'A100 80GB']) {
    const { moved, transfer } = offload(device, 'bf16');
    assert.ok(Math.abs(transfer - moved / K.pageableCopyBytesPerSecond) < 1e-6 * transfer, device);
  }
  // int8 weights are half the bytes of bf16 but move at quantizedMoveShare of the rate.
  const q = offload('H100 SXM', 'int8');
  assert.ok(q.transfer > q.moved / K.pageableCopyBytesPerSecond);
});
