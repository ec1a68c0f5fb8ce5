/**
 * fp8 casting (diffusers' layerwise casting, ComfyUI's fp8 weights). diffusers leaves a DiT's adaLN
 * modulation layers in the compute type (they sit under modules named "norm…", or PixArt's
 * "adaln_single", which its skip patterns exclude), so fp8 storage from a script holds them at 2
 * bytes; ComfyUI casts them with the rest, and other libraries, UNets and text encoders are not
 * affected. The cast weights are plain fp8 tensors, so offload moves them at the 16-bit rate.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { breakdown } from '../../src/cost/breakdown.ts';
import { MODEL_CONSTANTS } from '../../src/cost/constants.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { keepsModulation16 } from '../../src/cost/precision.ts';
import { makeWorkload } from '../../src/cost/workload.ts';

const denoiser = (model: string, frontend: 'app' | 'script', quantBackend = 'cast') => {
  const parts = breakdown(makeWorkload({ model, precision: 'fp8', quantBackend, software: { frontend } }));
  const d = parts.find((c) => c.role === 'denoiser');
  assert.ok(d, `${model} has a denoiser`);
  return d;
};

// FLUX.1's published config: hidden size 3072, 19 double-stream and 38 single-stream blocks. Each
// double block projects the conditioning vector to 6 × 3072 for the image and the text stream, each
// single block to 3 × 3072, and the output norm to 2 × 3072 (weights and biases).
const lin = (i: number, o: number) => i * o + o;
const FLUX_MODULATION = 19 * 2 * lin(3072, 6 * 3072) + 38 * lin(3072, 3 * 3072) + lin(3072, 2 * 3072);

test('FLUX.1 cast to fp8 from a script keeps its 3.2 B modulation parameters at 2 bytes', () => {
  const script = denoiser('flux1-dev', 'script');
  const app = denoiser('flux1-dev', 'app');
  assert.equal(script.weightBytes - app.weightBytes, FLUX_MODULATION);
  assert.equal(script.kept.modulation, true);
  assert.equal(app.kept.modulation, false);
  // About 27 % of the transformer: 15.2 GB instead of 11.9 GB, as diffusers' blog measured after loading.
  assert.ok(Math.abs(script.weightBytes / 1e9 - 15.15) < 0.05, String(script.weightBytes));
});

test('other fp8 libraries, and models without adaLN, store every matmul weight in fp8', () => {
  assert.equal(
    denoiser('flux1-dev', 'script', 'fp8-native').weightBytes,
    denoiser('flux1-dev', 'app', 'fp8-native').weightBytes,
  );
  assert.equal(denoiser('sdxl', 'script').weightBytes, denoiser('sdxl', 'app').weightBytes);
  // SD3 and PixArt carry adaLN too, so they keep some.
  for (const model of ['sd35-large', 'pixart-sigma'])
    assert.ok(denoiser(model, 'script').weightBytes > denoiser(model, 'app').weightBytes, model);
});

test('only a denoiser under diffusers layerwise casting keeps its modulation', () => {
  assert.equal(keepsModulation16('denoiser', 'fp8', 'cast', true), true);
  assert.equal(keepsModulation16('denoiser', 'fp8', null, true), true, 'fp8 is cast by default');
  assert.equal(keepsModulation16('denoiser', 'fp8', 'cast', false), false);
  assert.equal(keepsModulation16('denoiser', 'fp8', 'torchao', true), false);
  assert.equal(keepsModulation16('denoiser', 'bf16', null, true), false);
  assert.equal(keepsModulation16('text-encoder', 'fp8', 'cast', true), false);
});

test('offload moves cast fp8 weights like 16-bit ones, and library-quantized ones at the tensor-by-tensor share', () => {
  const perByte = (quantBackend: string) => {
    const w = makeWorkload({ model: 'flux1-dev', precision: 'fp8', quantBackend, software: { frontend: 'app' } });
    const e = estimate(w, resolveDevice('H100 SXM'), { strategy: 'model-offload' });
    const denoising = e.chosen.time.phases.find((p) => p.phase === 'denoising');
    assert.ok(denoising && denoising.transferSeconds > 0);
    return denoising.transferSeconds / e.parts.find((c) => c.role === 'denoiser')!.weightBytes;
  };
  const ratio = perByte('torchao') / perByte('cast');
  assert.ok(Math.abs(ratio * MODEL_CONSTANTS.quantizedMoveShare - 1) < 1e-9, String(ratio));
});
