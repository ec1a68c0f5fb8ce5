/** Scaling laws the analyzer must obey, whatever the architecture. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listModels } from '../../src/catalog/models.ts';
import { walk } from '../../src/cost/analyze/index.ts';
import { breakdown } from '../../src/cost/breakdown.ts';
import type { Op } from '../../src/cost/types.ts';
import { makeWorkload } from '../../src/cost/workload.ts';

const near = (a: number, b: number, tol = 1e-9) => Math.abs(a / b - 1) <= tol;
const denoiser = (id: string, extra: Parameters<typeof makeWorkload>[0] extends infer T ? Partial<T> : never = {}) =>
  breakdown(makeWorkload({ model: id, ...extra })).find((c) => c.role === 'denoiser')!;
const convMacs = (ops: Op[]) => ops.filter((o) => o.kind === 'conv').reduce((s, o) => s + o.macs, 0);

test('convolution FLOPs and VAE activations are linear in pixels', () => {
  const vae = listModels()[0]!.vae.arch;
  const at = (side: number) =>
    walk(vae, { width: side, height: side, latentWidth: side / 8, latentHeight: side / 8, textTokens: 77 });
  const a = at(512);
  const b = at(1024);
  assert.ok(near(convMacs(b), 4 * convMacs(a), 1e-3), 'conv MACs ×4 for 4× pixels');
  const peak = (ops: Op[]) => Math.max(...ops.map((o) => o.liveElems));
  assert.ok(near(peak(b), 4 * peak(a), 1e-3), 'activation peak ×4 for 4× pixels');
  const unet = listModels().find((m) => m.id === 'sd15')!.denoiser.arch;
  const u = (side: number) =>
    convMacs(walk(unet, { width: side, height: side, latentWidth: side / 8, latentHeight: side / 8, textTokens: 77 }));
  assert.ok(near(u(1024), 4 * u(512), 1e-3));
});

test('naive attention memory grows with the square of the token count; flash never above naive', () => {
  for (const id of ['sd15', 'sdxl', 'flux1-dev', 'pixart-sigma']) {
    const small = denoiser(id, { width: 512, height: 512, attention: 'naive' });
    const big = denoiser(id, { width: 1024, height: 1024, attention: 'naive' });
    // 4× tokens → up to 16× scores; activations are dominated by the score matrix at these sizes
    const scores = (c: typeof small) => c.activationBytes.naive - c.activationBytes.flash;
    assert.ok(scores(big) / scores(small) > 8, `${id}: naive attention scores should grow ~quadratically`);
    for (const c of [small, big]) {
      assert.ok(c.activationBytes.flash <= c.activationBytes.sliced, `${id}: flash ≤ sliced`);
      assert.ok(c.activationBytes.sliced <= c.activationBytes.naive, `${id}: sliced ≤ naive`);
    }
  }
  // The VAE's single-head mid attention at 2048² runs over 65536 tokens: scores and softmax are 2 × 8 GiB in fp16.
  const vae = breakdown(
    makeWorkload({ model: 'sdxl', width: 2048, height: 2048, attention: 'naive', componentPrecision: { vae: 'fp16' } }),
  ).find((c) => c.role === 'vae')!;
  assert.ok(vae.activationBytes.naive >= 2 * 65536 ** 2 * 2);
  assert.ok(vae.activationBytes.flash <= vae.activationBytes.naive - 65536 ** 2 * 2, 'fused attention keeps no scores');
  // The same decoder (SD VAE, fp16) measured 9.20 GB of activations at 2048² on an H200 (data/eval/own-gpu/2026-11-26-h200-holdout.json).
  assert.ok(Math.abs(vae.activationBytes.flash / 9.2e9 - 1) < 0.15, String(vae.activationBytes.flash));
});

test('batch scales activations and FLOPs linearly; CFG doubles the denoiser pass', () => {
  const one = denoiser('sdxl', { batch: 1 });
  const four = denoiser('sdxl', { batch: 4 });
  assert.equal(four.forwardBatch, 4 * one.forwardBatch);
  assert.ok(near(four.activationBytes.flash, 4 * one.activationBytes.flash, 1e-3));
  const on = denoiser('sd15', { cfg: 'on' });
  const off = denoiser('sd15', { cfg: 'off' });
  assert.equal(on.forwardBatch, 2 * off.forwardBatch);
  assert.equal(on.samplesPerCall, 2 * off.samplesPerCall);
  // FLUX dev is guidance-distilled: one pass by default.
  assert.equal(denoiser('flux1-dev').forwardBatch, 1);
});

test('weight bytes follow the format, with block scales for 4-bit formats', () => {
  const c = denoiser('flux1-dev');
  const w = c.weightBytesByPrecision;
  assert.ok(near(w.fp32, 2 * w.fp16, 1e-9));
  assert.ok(w.fp8 <= 0.52 * w.fp16 && w.fp8 >= 0.5 * w.fp16, 'fp8 ≈ half of fp16 (norms and embeddings stay 16-bit)');
  assert.ok(w.nf4 > 0.25 * w.fp16 && w.q4_1 > w.q4_0 && w.q2_k < w.q4_0);
  // bitsandbytes' default NF4 has no double quantization: an fp32 absmax per 64 weights costs what
  // Q4_0's fp16 scale per 32 does, 4.5 bits a weight.
  assert.ok(near(w.nf4, w.q4_0, 1e-9));
});

test('VAE tiling bounds the decode activation by the tile, not the image', () => {
  const vae = (side: number, tiling: boolean) =>
    breakdown(makeWorkload({ model: 'sdxl', width: side, height: side, vaeTiling: tiling })).find(
      (c) => c.role === 'vae',
    )!;
  assert.ok(vae(2048, true).activationBytes.flash < vae(2048, false).activationBytes.flash / 8);
  assert.ok(vae(2048, true).forwardsPerCall > 1, 'tiles are decoded one after another');
});

test("SDXL's VAE decodes in fp32 (its fp16 activations overflow; diffusers force_upcast), others in the 16-bit type", () => {
  assert.equal(makeWorkload({ model: 'sdxl' }).precision.vae, 'fp32');
  assert.equal(makeWorkload({ model: 'sdxl-turbo' }).precision.vae, 'fp32');
  assert.equal(
    makeWorkload({ model: 'sdxl', componentPrecision: { vae: 'bf16' } }).precision.vae,
    'bf16',
    'an explicit choice wins',
  );
  assert.equal(makeWorkload({ model: 'sd15' }).precision.vae, 'fp16');
  assert.equal(makeWorkload({ model: 'flux1-dev' }).precision.vae, 'bf16');
  // Twice the bytes per activation: the fp32 decode needs twice the fp16 decode's activation memory.
  const act = (vae: string) =>
    breakdown(makeWorkload({ model: 'sdxl', componentPrecision: { vae } })).find((c) => c.role === 'vae')!
      .activationBytes.flash;
  assert.ok(Math.abs(act('fp32') / act('fp16') - 2) < 1e-9);
});
