/**
 * The CPU time model from the CPU's own features: its vector unit (the probe's flags or the
 * catalog's architecture text), cores and clock (its peak), DRAM bandwidth; streaming kernels
 * scale with the vector peak per core until the cores together meet DRAM; attention on a CPU pays
 * its GEMMs and its score traffic one after the other.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuDevice } from '../../src/catalog/cpu.ts';
import { listDevices } from '../../src/catalog/devices.ts';
import { breakdown } from '../../src/cost/breakdown.ts';
import { MODEL_CONSTANTS } from '../../src/cost/constants.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { cpuCoreGHz, cpuEfficiency, cpuIsa, cpuStreamRate, cpuWeightRate, estimateTime } from '../../src/cost/time.ts';
import { makeWorkload, type WorkloadInput } from '../../src/cost/workload.ts';

const K = MODEL_CONSTANTS;
const zen3 = (cores: number, memoryBandwidthGBs?: number) =>
  cpuDevice({
    model: 'AMD EPYC',
    cores,
    clockGHz: 3,
    simd: { avx2: true },
    ...(memoryBandwidthGBs ? { memoryBandwidthGBs } : {}),
  });
const sd15 = (input: Partial<WorkloadInput> = {}) =>
  makeWorkload({
    model: 'sd15',
    width: 256,
    height: 256,
    precision: 'fp32',
    componentPrecision: { vae: 'fp32', 'text-encoder': 'fp32' },
    ...input,
  });
const phase = (w: ReturnType<typeof sd15>, d: ReturnType<typeof zen3>, p: string) =>
  estimate(w, d, { strategy: 'cpu' }).chosen.time.phases.find((x) => x.phase === p)!.seconds;

test('the catalog CPU rows are rated by the vector unit their architecture names', () => {
  const byId = new Map(listDevices().map((d) => [d.id, d]));
  assert.equal(cpuIsa(byId.get('amd-ryzen-9-9950x')!), 'avx512'); // full 512-bit datapath
  assert.equal(cpuIsa(byId.get('amd-ryzen-9-7950x')!), 'avx2'); // AVX-512 on 256-bit datapaths: AVX2's peak and share
  assert.equal(cpuIsa(byId.get('intel-core-i9-14900k')!), 'avx2'); // "AVX2/FMA3 (no AVX-512)"
  assert.equal(cpuIsa(byId.get('intel-core-i5-12400')!), 'avx2'); // "AVX-512 fused off"
  assert.equal(cpuIsa(cpuDevice({ model: 'Apple M2', cores: 8, simd: { neon: true } })), 'neon');
  assert.equal(cpuIsa(cpuDevice({ model: 'Xeon', cores: 2, simd: { avx2: true, avx512: true, amx: true } })), 'avx512');
});

test('a probed Zen 4 (AVX-512 on 256-bit halves) has the peak and the share of the AVX2 it runs as', () => {
  const simd = { avx2: true, avx512: true, avx512Halves: true };
  const zen4 = cpuDevice({ model: 'AMD Ryzen 9 7950X', cores: 16, clockGHz: 5, simd });
  const full = cpuDevice({
    model: 'AMD Ryzen 9 9950X',
    cores: 16,
    clockGHz: 5,
    simd: { ...simd, avx512Halves: false },
  });
  assert.equal(zen4.fp32Tflops, (16 * 32 * 5) / 1000);
  assert.equal(full.fp32Tflops, 2 * zen4.fp32Tflops);
  assert.equal(zen4.computeId, 'avx512/256+avx2');
  assert.deepEqual([cpuIsa(zen4), cpuIsa(full)], ['avx2', 'avx512']);
  assert.equal(cpuEfficiency(zen4, K), K.cpu.avx2);
  // As the catalog's own Zen 4 row, whose architecture says the same.
  const catalog = listDevices().find((d) => d.id === 'amd-ryzen-9-7950x')!;
  assert.equal(cpuIsa(catalog), cpuIsa(zen4));
});

test('streaming kernels move a fixed number of bytes per core-cycle, whatever the vector width, until the cores meet DRAM', () => {
  const one = cpuStreamRate(zen3(1), K);
  assert.ok(Math.abs(one - 3e9 * K.cpu.streamBytesPerCycle) < 1e6, `${one}`);
  assert.ok(Math.abs(cpuStreamRate(zen3(4), K) - 4 * one) < 1e6);
  // 64 cores stream no faster than the DRAM share of their two channels.
  assert.equal(cpuStreamRate(zen3(64), K), 51.2e9 * K.cpu.bandwidth);
  // Twice the vector peak (AVX-512), same cores and clock: the same stream.
  const avx512 = cpuDevice({ model: 'Xeon', cores: 1, clockGHz: 3, simd: { avx2: true, avx512: true } });
  assert.equal(avx512.fp32Tflops, 2 * zen3(1).fp32Tflops);
  assert.equal(cpuStreamRate(avx512, K), one);
  // Core-cycles come back from the peak whatever unit set it: SSE-only, Zen 4's halves, NEON.
  for (const simd of [{}, { avx2: true, avx512: true, avx512Halves: true }, { neon: true }])
    assert.ok(Math.abs(cpuCoreGHz(cpuDevice({ model: 'x', cores: 6, clockGHz: 2.5, simd })) - 15) < 1e-9);
});

test('a CPU GEMM waits for its weights: their DRAM read adds to the FLOPs, and matters most where few rows share them', () => {
  const d = zen3(1);
  const w = sd15({ attention: 'flash' });
  const unet = breakdown(w).find((c) => c.phase === 'denoising')!;
  // One 3×3 convolution at the UNet's deepest level (4×4 latents at 256²) and one at its top (32×32).
  const conv = (name: RegExp) => {
    const g = unet.opGroups.find((x) => x.op.kind === 'conv' && name.test(x.op.name))!;
    const one = { ...unet, opGroups: [{ ...g, count: 1 }], forwardsPerCall: 1 };
    const t = estimateTime(w, [one], d, 'cpu').phases.find((p) => p.phase === 'denoising')!.seconds;
    const compute = (2 * g.op.macs * unet.forwardBatch) / (d.fp32Tflops * 1e12 * K.cpu.avx2);
    const weights = (g.op.params * 4) / cpuWeightRate(d, K);
    return { t: t - K.stepOverheadSeconds * w.steps, compute, weights };
  };
  for (const c of [conv(/^down3\.res0\.conv1$/), conv(/^down0\.res0\.conv1$/)])
    assert.ok(Math.abs(c.t - (c.compute + c.weights)) < 1e-9 * c.t, `${c.t} vs ${c.compute} + ${c.weights}`);
  const deep = conv(/^down3\.res0\.conv1$/);
  const top = conv(/^down0\.res0\.conv1$/);
  // The deep convolution's 1280² × 9 weights are read for 32 output positions: most of its time.
  assert.ok(deep.weights / deep.t > 0.3, `${deep.weights / deep.t}`);
  assert.ok(top.weights / top.t < 0.05, `${top.weights / top.t}`);
  // The weight rate is per core-cycle up to the DRAM share, like the stream.
  assert.ok(Math.abs(cpuWeightRate(zen3(2), K) - 2 * 3e9 * K.cpu.weightBytesPerCycle) < 1e6);
  assert.equal(cpuWeightRate(zen3(64), K), 51.2e9 * K.cpu.bandwidth);
});

test('a CPU phase scales with cores while its per-core rates stay under DRAM, and a memory-starved one stops scaling', () => {
  const w = sd15();
  const step1 = phase(w, zen3(1), 'denoising');
  const step4 = phase(w, zen3(4), 'denoising');
  assert.ok(step1 / step4 > 3.95 && step1 / step4 < 4.05, `${step1 / step4}`);
  // Sixteen cores would read weights faster than two DRAM channels give: they stop short of 16×.
  const step16 = phase(w, zen3(16), 'denoising');
  assert.ok(step1 / step16 < 15, `${step1 / step16}`);
  // The same 4 cores on a tenth of the DRAM bandwidth: the streaming part no longer scales.
  const starved = phase(w, zen3(4, 5), 'denoising');
  assert.ok(starved > step4 * 1.05, `${starved} vs ${step4}`);
});

test('materialised attention on a CPU costs its score traffic on top of the GEMMs, growing with tokens²', () => {
  const d = zen3(1);
  const extra = (size: number) =>
    phase(sd15({ width: size, height: size, attention: 'naive' }), d, 'denoising') -
    phase(sd15({ width: size, height: size, attention: 'flash' }), d, 'denoising');
  const at256 = extra(256);
  const at512 = extra(512);
  assert.ok(at256 > 0);
  // 4× the tokens at the top level: ~16× the scores there.
  assert.ok(at512 / at256 > 10, `${at512 / at256}`);
  // Each attention op: GEMM time plus traffic, never the larger of the two alone.
  const w = sd15({ attention: 'naive' });
  const unet = breakdown(w).find((c) => c.phase === 'denoising')!;
  const attn = { ...unet, opGroups: unet.opGroups.filter((g) => g.op.kind === 'attention'), forwardsPerCall: 1 };
  const t = estimateTime(w, [attn], d, 'cpu').phases.find((p) => p.phase === 'denoising')!.seconds;
  let compute = 0;
  let traffic = 0;
  for (const { op, count } of attn.opGroups) {
    const a = op.attention!;
    compute += (count * 2 * op.macs * attn.forwardBatch) / (d.fp32Tflops * 1e12 * K.cpu.avx2);
    traffic +=
      (count * (op.ioElems * attn.forwardBatch * 4 + 4 * attn.forwardBatch * a.heads * a.queries * a.keys * 4)) /
      cpuStreamRate(d, K);
  }
  assert.ok(Math.abs(t - (compute + traffic + K.stepOverheadSeconds * w.steps)) < 1e-6 * t, `${t}`);
});

test('an embedding lookup reads the rows it gathers, not the whole vocabulary table', () => {
  const w = sd15();
  const clip = breakdown(w).find((c) => c.phase === 'text-encoding')!;
  const emb = { ...clip, opGroups: clip.opGroups.filter((g) => g.op.kind === 'embedding'), forwardsPerCall: 1 };
  const d = zen3(1);
  const t = estimateTime(w, [emb], d, 'cpu').phases.find((p) => p.phase === 'text-encoding')!.seconds;
  const table = emb.opGroups[0]!.op.params * 4;
  assert.ok(t < table / cpuStreamRate(d, K) / 100, `${t} s: reads the ${table} B table`);
});

test('weights loaded but never run (a text-to-image VAE’s encoder) cost no decode time', () => {
  const w = sd15();
  const vae = breakdown(w).find((c) => c.phase === 'vae-decode')!;
  const run = { ...vae, opGroups: vae.opGroups.filter((g) => g.op.macs > 0 || g.op.ioElems > 0) };
  assert.ok(run.opGroups.length < vae.opGroups.length, 'the encoder rides along as a parameter-only op');
  for (const d of [zen3(2), cpuDevice({ model: 'Xeon', cores: 2, simd: { avx2: true, avx512: true } })]) {
    const t = (c: typeof vae) => estimateTime(w, [c], d, 'cpu').phases.find((p) => p.phase === 'vae-decode')!.seconds;
    assert.equal(t(vae), t(run));
  }
});
