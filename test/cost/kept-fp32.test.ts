/**
 * Layers transformers keeps in float32 (`_keep_in_fp32_modules`, T5's `wo`): stored at 4 bytes when
 * the text encoder loads in float16 or through bitsandbytes, quantized like the rest under quanto
 * and torchao, and never touched in bf16 or in components that do not load through transformers.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { breakdown } from '../../src/cost/breakdown.ts';
import { keepsFp32Modules } from '../../src/cost/precision.ts';
import { makeWorkload } from '../../src/cost/workload.ts';

const t5Of = (input: Parameters<typeof makeWorkload>[0]) => {
  const parts = breakdown(makeWorkload(input));
  const t5 = parts.find((c) => /T5/.test(c.name));
  assert.ok(t5, 'the model has a T5 encoder');
  return t5;
};
// T5 v1.1 XXL: 24 layers of a d_ff 10240 × d_model 4096 `wo`, published in its config.
const WO_PARAMS = 24 * 10240 * 4096;

test('T5 in fp16 keeps wo in float32: 2 bytes more per wo weight than bf16', () => {
  const fp16 = t5Of({ model: 'sd3-medium', precision: 'fp16' });
  const bf16 = t5Of({ model: 'sd3-medium', precision: 'bf16' });
  assert.equal(fp16.weightBytes - bf16.weightBytes, 2 * WO_PARAMS);
  // The breakdown says how many parameters stay in float32, so the bytes can be traced.
  assert.equal(fp16.fp32KeptParameters, WO_PARAMS);
  assert.equal(bf16.fp32KeptParameters, 0);
  // CLIP has no kept layer: the same bytes in fp16 and bf16.
  const clip = (p: 'fp16' | 'bf16') =>
    breakdown(makeWorkload({ model: 'sd3-medium', precision: p })).find((c) => /CLIP/.test(c.name))!.weightBytes;
  assert.equal(clip('fp16'), clip('bf16'));
});

test('a quantized T5 keeps wo in float32 under bitsandbytes only', () => {
  const input = (quantBackend: string) =>
    ({
      model: 'flux1-dev',
      precision: 'int8',
      quantBackend,
      componentPrecision: { 'text-encoder': 'int8' },
    }) as const;
  const bnb = t5Of(input('bnb'));
  const quanto = t5Of(input('quanto'));
  const torchao = t5Of(input('torchao'));
  assert.equal(quanto.weightBytes, torchao.weightBytes);
  // int8 stores a weight in 1 byte plus a per-channel scale; bnb keeps wo at 4.
  const extra = bnb.weightBytes - quanto.weightBytes;
  assert.ok(Math.abs(extra - 3 * WO_PARAMS) < 0.01 * WO_PARAMS, String(extra));
  // The denoiser is the same either way: diffusers models list no kept layer.
  assert.equal(
    breakdown(makeWorkload(input('bnb'))).find((c) => c.role === 'denoiser')!.weightBytes,
    breakdown(makeWorkload(input('quanto'))).find((c) => c.role === 'denoiser')!.weightBytes,
  );
});

test('only text encoders keep layers, and only in fp16 or under bitsandbytes', () => {
  assert.equal(keepsFp32Modules('text-encoder', 'fp16', null), true);
  assert.equal(keepsFp32Modules('text-encoder', 'bf16', null), false);
  assert.equal(keepsFp32Modules('text-encoder', 'fp32', null), false);
  assert.equal(keepsFp32Modules('text-encoder', 'nf4', null), true, 'nf4 runs on bitsandbytes by default');
  assert.equal(keepsFp32Modules('text-encoder', 'q8_0', 'gguf'), false);
  assert.equal(keepsFp32Modules('text-encoder', 'fp8', 'cast'), false);
  assert.equal(keepsFp32Modules('denoiser', 'fp16', null), false);
  assert.equal(keepsFp32Modules('vae', 'fp16', null), false);
});
