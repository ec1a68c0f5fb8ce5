/**
 * LoRA merge: kohya-named LoRAs (diffusers-style module paths as for SD 1.x, LDM-style as for
 * SDXL) change exactly W + weight · alpha/rank · up·down in the graph layout, identically from both
 * namings; a LoRA for another family or with wrong shapes is a one-line error naming the tensor.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointError } from '../../src/checkpoint/errors.ts';
import { mergeLora } from '../../src/checkpoint/lora.ts';
import { unetNameMap } from '../../src/checkpoint/names.ts';
import { readSafetensorsHeader } from '../../src/checkpoint/safetensors.ts';
import type { GraphWeight } from '../../src/checkpoint/tensors.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { tinyUNet } from '../bench/_tiny.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-lora-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const map = unetNameMap(tinyUNet, { convProjection: true });
const base = (): GraphWeight[] =>
  map.map((e, t) => ({
    name: e.graph,
    dims: e.graphShape,
    data: Float32Array.from({ length: e.graphShape.reduce((a, b) => a * b, 1) }, (_, i) => ((t + i) % 13) / 8),
  }));

const f32 = (a: number[]) => new Uint8Array(new Float32Array(a).buffer);
const RANK = 2;
/** One module's LoRA tensors: down [rank, in(,1,1)], up [out, rank(,1,1)], alpha. */
function module(name: string, inDim: number, outDim: number, conv: boolean, seed: number) {
  const down = Array.from({ length: RANK * inDim }, (_, i) => ((i * 7 + seed) % 5) / 4 - 0.5);
  const up = Array.from({ length: outDim * RANK }, (_, i) => ((i * 3 + seed) % 7) / 8 - 0.25);
  const k = conv ? [1, 1] : [];
  return {
    down,
    up,
    tensors: [
      { name: `${name}.lora_down.weight`, dtype: 'F32' as const, shape: [RANK, inDim, ...k], data: f32(down) },
      { name: `${name}.lora_up.weight`, dtype: 'F32' as const, shape: [outDim, RANK, ...k], data: f32(up) },
      { name: `${name}.alpha`, dtype: 'F32' as const, shape: [], data: f32([1]) },
    ],
  };
}

describe('LoRA merge', () => {
  const k = map.find((e) => e.graph === 'down0.attn0.block0.attn2.to_k.weight')!;
  const proj = map.find((e) => e.graph === 'down0.attn0.proj_in.weight')!;
  const [ki, ko] = k.graphShape as [number, number];
  const [pi, po] = proj.graphShape as [number, number];

  function write(name: string, naming: 'diffusers' | 'ldm') {
    const mod = (e: typeof k) => `lora_unet_${e[naming]!.replace(/\.weight$/, '').replace(/\./g, '_')}`;
    const a = module(mod(k), ki, ko, false, 1);
    const b = module(mod(proj), pi, po, true, 2);
    const te = module('lora_te_text_model_encoder_layers_0_self_attn_q_proj', 4, 4, false, 3);
    const p = join(dir, name);
    writeSafetensors(p, [...a.tensors, ...b.tensors, ...te.tensors], { ss_network_dim: String(RANK) });
    return { p, a, b };
  }

  it('adds weight · alpha/rank · up·down to the graph weights, transposed to [in, out]', () => {
    const { p, a } = write('sd1-style.safetensors', 'diffusers');
    const w = base();
    const before = w.find((x) => x.name === k.graph)!.data.slice();
    const r = mergeLora(readSafetensorsHeader(p), [{ prefix: 'lora_unet_', map, weights: w }], 0.8);
    assert.deepEqual(r, { modules: 2, skipped: 1 });
    const after = w.find((x) => x.name === k.graph)!.data;
    const scale = (0.8 * 1) / RANK;
    for (const [i, o] of [
      [0, 0],
      [ki - 1, ko - 1],
      [3, 1],
    ] as const) {
      let s = 0;
      for (let q = 0; q < RANK; q++) s += a.up[o * RANK + q]! * a.down[q * ki + i]!;
      assert.ok(Math.abs(after[i * ko + o]! - (before[i * ko + o]! + scale * s)) < 1e-6);
    }
    // Untouched weights stay untouched.
    assert.deepEqual(
      w.find((x) => x.name === 'conv_in.weight')!.data,
      base().find((x) => x.name === 'conv_in.weight')!.data,
    );
  });

  it('gives the same merged weights from LDM-style module names (kohya’s SDXL convention)', () => {
    const one = base();
    const two = base();
    mergeLora(
      readSafetensorsHeader(write('d.safetensors', 'diffusers').p),
      [{ prefix: 'lora_unet_', map, weights: one }],
      1,
    );
    mergeLora(readSafetensorsHeader(write('l.safetensors', 'ldm').p), [{ prefix: 'lora_unet_', map, weights: two }], 1);
    for (let i = 0; i < one.length; i++) assert.deepEqual(two[i]!.data, one[i]!.data, one[i]!.name);
  });

  it('refuses a LoRA for another family: unknown module or shapes that do not fit, naming the tensor', () => {
    const p1 = join(dir, 'flux-lora.safetensors');
    writeSafetensors(p1, module('lora_unet_double_blocks_0_img_attn_qkv', 8, 24, false, 1).tensors);
    assert.throws(
      () => mergeLora(readSafetensorsHeader(p1), [{ prefix: 'lora_unet_', map, weights: base() }], 1),
      (e: unknown) =>
        e instanceof CheckpointError &&
        e.code === 'lora-mismatch' &&
        e.message.startsWith(p1) &&
        e.message.includes('lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight'),
    );
    const p2 = join(dir, 'wide-lora.safetensors');
    const name = `lora_unet_${k.diffusers!.replace(/\.weight$/, '').replace(/\./g, '_')}`;
    writeSafetensors(p2, module(name, ki + 8, ko, false, 1).tensors);
    assert.throws(
      () => mergeLora(readSafetensorsHeader(p2), [{ prefix: 'lora_unet_', map, weights: base() }], 1),
      (e: unknown) => e instanceof CheckpointError && e.code === 'lora-mismatch' && /do not fit/.test(e.message),
    );
  });
});
