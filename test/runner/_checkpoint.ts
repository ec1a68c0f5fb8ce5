/**
 * Tiny checkpoints of one architecture (the tiny UNet and VAE of test/bench/_tiny.ts, a 2-layer
 * CLIP with CLIP's real 49 408-token vocabulary so the shipped tokenizer feeds it), written with the
 * same weights in both namings: an LDM single file as A1111 loads it, and a diffusers folder.
 */
import { join } from 'node:path';
import type { ClipTextArch } from '../../src/catalog/models.types.ts';
import {
  clipTextNameMap,
  type NameEntry,
  type Naming,
  openClipTextNameMap,
  unetNameMap,
  vaeDecoderNameMap,
} from '../../src/checkpoint/names.ts';
import { type TensorToWrite, writeSafetensors } from '../../src/checkpoint/write.ts';
import { type CheckpointPipeline, checkpointPipelines } from '../../src/runner/checkpoint-pipelines.ts';
import { tinyUNet, tinyUNetXL, tinyVae } from '../bench/_tiny.ts';

export const tinyText: ClipTextArch = {
  kind: 'clip-text',
  vocab: 49408,
  maxTokens: 77,
  width: 32,
  layers: 2,
  heads: 4,
  ffn: 64,
  projection: 0,
};

/** SD 1.x's pipeline (schedule, prefixes, tokenizer padding) on the tiny architecture. */
export function tinyPipeline(): CheckpointPipeline {
  const sd15 = checkpointPipelines().sd15!;
  return {
    ...sd15,
    unet: { ...tinyUNet, crossAttentionDim: tinyText.width },
    vae: tinyVae,
    text: [{ ...sd15.text[0]!, arch: tinyText }],
  };
}

/** Deterministic values per tensor name (a small LCG): the same tensor gets the same values in both namings. */
function values(name: string, n: number, seed: number): Float32Array {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const out = new Float32Array(n);
  const norm = /norm/.test(name) && name.endsWith('.weight');
  for (let i = 0; i < n; i++) {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    const u = (h / 2 ** 32) * 0.2 - 0.1;
    out[i] = norm ? 1 + u : u;
  }
  return out;
}

/** One entry's tensor in a naming: graph-layout values turned into PyTorch's layout ([in, out] → [out, in] for linear layers). */
function tensor(e: NameEntry, naming: Naming, prefix: string, seed: number): TensorToWrite {
  const n = e.graphShape.reduce((a, b) => a * b, 1);
  const g = values(e.graph, n, seed);
  const kind = e.kind[naming];
  let data = g;
  if ((kind === 'linear' || kind === 'conv1x1-linear') && e.graphShape.length === 2) {
    const [i, o] = e.graphShape as [number, number];
    data = new Float32Array(n);
    for (let r = 0; r < i; r++) for (let c = 0; c < o; c++) data[c * i + r] = g[r * o + c]!;
  }
  const name = prefix + (naming === 'ldm' ? e.ldm : e.diffusers!);
  return { name, dtype: 'F32', shape: e.shape[naming], data: new Uint8Array(data.buffer) };
}

/** SDXL's pipeline (two encoders, OpenCLIP names for the second in the single file, 1280-wide pooled projection) on tiny sizes. */
export function tinyPipelineXL(): CheckpointPipeline {
  const xl = checkpointPipelines().sdxl!;
  const te2: ClipTextArch = { ...tinyText, layers: 3, projection: 1280 };
  return {
    ...xl,
    unet: { ...tinyUNetXL, crossAttentionDim: tinyText.width + te2.width },
    vae: tinyVae,
    text: [
      { ...xl.text[0]!, arch: tinyText },
      { ...xl.text[1]!, arch: te2 },
    ],
  };
}

/** Tensors of one map in a naming; fused tensors (OpenCLIP's in_proj: q, k, v as row thirds) assembled from their parts. */
function tensors(map: readonly NameEntry[], naming: Naming, prefix: string, seed: number): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  const fused = new Map<string, { t: TensorToWrite; data: Float32Array }>();
  for (const e of map) {
    const t = tensor(e, naming, prefix, seed);
    const rows = e.rows?.[naming];
    if (!rows) {
      out.push(t);
      continue;
    }
    let f = fused.get(t.name);
    if (!f) {
      const n = e.shape[naming].reduce((a, b) => a * b, 1);
      f = { t: { ...t, data: new Uint8Array(0) }, data: new Float32Array(n) };
      fused.set(t.name, f);
      out.push(f.t);
    }
    const part = new Float32Array(t.data!.buffer);
    f.data.set(part, (rows[0] * part.length) / (rows[1] - rows[0]));
  }
  for (const f of fused.values()) f.t.data = new Uint8Array(f.data.buffer);
  return out;
}

/** The tiny SDXL as an LDM single file (conditioner.embedders.0.transformer. + .1.model.) or a diffusers folder. */
export function writeTinyXL(path: string, naming: 'ldm' | 'diffusers', seed = 1): string {
  const p = tinyPipelineXL();
  const unet = unetNameMap(p.unet, { convProjection: false });
  const vae = vaeDecoderNameMap(p.vae);
  const te1 = clipTextNameMap(p.text[0]!.arch);
  const te2 = openClipTextNameMap(p.text[1]!.arch);
  if (naming === 'ldm') {
    writeSafetensors(path, [
      ...tensors(unet, 'ldm', 'model.diffusion_model.', seed),
      ...tensors(vae, 'ldm', 'first_stage_model.', seed),
      ...tensors(te1, 'diffusers', 'conditioner.embedders.0.transformer.', seed),
      ...tensors(te2, 'ldm', 'conditioner.embedders.1.model.', seed),
    ]);
    return path;
  }
  writeSafetensors(join(path, 'unet', 'diffusion_pytorch_model.safetensors'), tensors(unet, 'diffusers', '', seed));
  writeSafetensors(join(path, 'vae', 'diffusion_pytorch_model.safetensors'), tensors(vae, 'diffusers', '', seed));
  writeSafetensors(join(path, 'text_encoder', 'model.safetensors'), tensors(te1, 'diffusers', '', seed));
  writeSafetensors(join(path, 'text_encoder_2', 'model.safetensors'), tensors(te2, 'diffusers', '', seed));
  return path;
}

function maps(p: CheckpointPipeline) {
  return {
    unet: unetNameMap(p.unet, { convProjection: true }),
    vae: vaeDecoderNameMap(p.vae),
    text: clipTextNameMap(p.text[0]!.arch),
  };
}

/** The LDM single file (model.diffusion_model., first_stage_model., cond_stage_model.transformer.). */
export function writeTinySingleFile(path: string, seed = 1): string {
  const m = maps(tinyPipeline());
  writeSafetensors(path, [
    ...m.unet.map((e) => tensor(e, 'ldm', 'model.diffusion_model.', seed)),
    ...m.vae.map((e) => tensor(e, 'ldm', 'first_stage_model.', seed)),
    // Transformers' names under the LDM prefix (the clip map's diffusers column).
    ...m.text.map((e) => tensor(e, 'diffusers', 'cond_stage_model.transformer.', seed)),
  ]);
  return path;
}

/** The same weights as a diffusers folder (unet/, vae/, text_encoder/; no tokenizer/ unless given). */
export function writeTinyDiffusers(dir: string, seed = 1): string {
  const m = maps(tinyPipeline());
  writeSafetensors(
    join(dir, 'unet', 'diffusion_pytorch_model.safetensors'),
    m.unet.map((e) => tensor(e, 'diffusers', '', seed)),
  );
  writeSafetensors(
    join(dir, 'vae', 'diffusion_pytorch_model.safetensors'),
    m.vae.map((e) => tensor(e, 'diffusers', '', seed)),
  );
  writeSafetensors(
    join(dir, 'text_encoder', 'model.safetensors'),
    m.text.map((e) => tensor(e, 'diffusers', '', seed)),
  );
  return dir;
}

const f32 = (a: number[]) => new Uint8Array(new Float32Array(a).buffer);

/**
 * A kohya LoRA adapting the tiny UNet's first cross-attention key and value (diffusers module paths,
 * as kohya writes SD 1.x) and the text encoder's first query: rank 2, alpha 1.
 */
export function writeTinyLora(path: string): string {
  const p = tinyPipeline();
  const unet = unetNameMap(p.unet, { convProjection: true });
  const text = clipTextNameMap(p.text[0]!.arch);
  const mod = (prefix: string, e: NameEntry) => `${prefix}${e.diffusers!.replace(/\.weight$/, '').replace(/\./g, '_')}`;
  const tensors: TensorToWrite[] = [];
  const add = (name: string, e: NameEntry, k: number) => {
    const [i, o] = e.graphShape as [number, number];
    tensors.push(
      {
        name: `${name}.lora_down.weight`,
        dtype: 'F32',
        shape: [2, i],
        data: f32(Array.from({ length: 2 * i }, (_, j) => ((j * 7 + k) % 5) / 4 - 0.5)),
      },
      {
        name: `${name}.lora_up.weight`,
        dtype: 'F32',
        shape: [o, 2],
        data: f32(Array.from({ length: 2 * o }, (_, j) => ((j * 3 + k) % 7) / 8 - 0.4)),
      },
      { name: `${name}.alpha`, dtype: 'F32', shape: [], data: f32([1]) },
    );
  };
  for (const [k, g] of ['down0.attn0.block0.attn2.to_k.weight', 'down0.attn0.block0.attn2.to_v.weight'].entries())
    add(mod('lora_unet_', unet.find((e) => e.graph === g)!), unet.find((e) => e.graph === g)!, k);
  const q = text.find((e) => /layer0\.self_attn\.to_q\.weight$/.test(e.graph))!;
  add(mod('lora_te_', q), q, 5);
  writeSafetensors(path, tensors, { ss_network_dim: '2', ss_network_alpha: '1' });
  return path;
}
