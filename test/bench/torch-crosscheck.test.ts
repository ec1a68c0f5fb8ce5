/**
 * The independent cross-check of the checkpoint path: tiny checkpoints with random weights, in the
 * LDM single-file naming (SD 1.x style: 1×1-conv projections, CLIP ViT-L-like text encoder with
 * quick_gelu) and in the SDXL style (linear projections, micro-conditioning, an OpenCLIP text tower
 * with fused q/k/v, an [in, out] projection and exact gelu; a diffusers-named VAE), and SD3 / SD3.5
 * MMDiTs (Stability AI's names: fused qkv, swapped adaLN halves; diffusers' names) and a PixArt DiT
 * (original names: fused qkv and kv), are loaded two ways: by genready (src/checkpoint → ONNX
 * graphs with the weights bound → onnxruntime) and by the script `bench --emit-torch` writes, which
 * parses the .safetensors itself and runs PyTorch modules
 * (Debian's python3-torch 1.13 on the CPU, fp32, plain attention). The denoiser, VAE decoder and text
 * encoder outputs must agree to 1e-4 relative, measured as max |onnx − torch| / max |onnx| over each
 * output tensor (the ∞-norm of the difference relative to the ∞-norm of the output).
 *
 * Without a python whose `import torch` works the suite is skipped (a developer machine), except
 * under CI (CI set, as CI services do), where it must fail rather than pass unseen; `.ci/run`
 * installs python3-torch.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  renderTorchScript,
  type TorchCase,
  type TorchCheckComponent,
  torchCheckComponent,
} from '../../src/bench/torch.ts';
import type { ClipTextArch } from '../../src/catalog/models.types.ts';
import {
  clipTextNameMap,
  crossDitNameMap,
  mmditNameMap,
  type NameEntry,
  type Naming,
  openClipTextNameMap,
  unetNameMap,
  vaeDecoderNameMap,
} from '../../src/checkpoint/names.ts';
import { readSafetensorsHeader } from '../../src/checkpoint/safetensors.ts';
import { loadGraphWeights, toFloat32 } from '../../src/checkpoint/tensors.ts';
import type { DType } from '../../src/checkpoint/types.ts';
import { type TensorToWrite, writeSafetensors } from '../../src/checkpoint/write.ts';
import { toHalf } from '../../src/graph/_onnx.ts';
import { type GraphArch, graphParameters, writeOnnxModel } from '../../src/graph/index.ts';
import { createSession } from '../../src/ort/session.ts';
import { Tensor } from '../../src/ort/tensor.ts';
import {
  tinyClip,
  tinyClipProjected,
  tinyCrossDiT,
  tinyFlux,
  tinyMMDiT,
  tinyMMDiTX,
  tinyUNet,
  tinyUNetXL,
  tinyVae,
} from './_tiny.ts';

/** Where PyTorch may be: an explicit choice, Debian's interpreter (python3-torch), then PATH. */
function findTorchPython(): string | null {
  const candidates = [process.env.GENREADY_TORCH_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter(
    (c): c is string => !!c,
  );
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return c;
  }
  return null;
}

const python = findTorchPython();
const missing =
  !python && !process.env.CI
    ? 'no python with torch (apt-get install python3-torch, or set GENREADY_TORCH_PYTHON)'
    : false;

const TOLERANCE = 1e-4;
const dir = mkdtempSync(join(tmpdir(), 'genready-crosscheck-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32 (public domain), seeded from the tensor's name: the same weights on every run. */
function uniform(name: string, n: number, lo: number, hi: number): Float32Array {
  let a = 0x9e3779b9;
  for (let i = 0; i < name.length; i++) a = Math.imul(a ^ name.charCodeAt(i), 0x01000193);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** float32 → bf16 bits, round to nearest even. */
function toBf16(v: Float32Array): Uint16Array {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  return Uint16Array.from(u, (x) => (x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
}

function encode(v: Float32Array, dtype: DType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const h = dtype === 'F16' ? toHalf(v) : toBf16(v);
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

/**
 * Random values for a checkpoint tensor in PyTorch's layout, at PyTorch-like scales: matrices and
 * kernels ±1/√fan-in, embeddings ±1, norm scales 1 ± 0.5 and biases ± 0.2 (never the identity, so a
 * norm bound to the wrong tensor shows).
 */
function values(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.length >= 2) {
    const embedding = /embedding|positional_embedding/.test(name);
    const b = embedding ? 1 : 1 / Math.sqrt(shape.slice(1).reduce((a, c) => a * c, 1));
    return uniform(name, n, -b, b);
  }
  return name.endsWith('bias') ? uniform(name, n, -0.2, 0.2) : uniform(name, n, 0.5, 1.5);
}

interface Part {
  key: string;
  arch: GraphArch;
  map: NameEntry[];
  naming: Naming;
  prefix: string;
}

/** The file's tensors for these parts (a fused tensor that several entries slice is written once). */
function checkpointTensors(parts: readonly Part[], dtype: DType): TensorToWrite[] {
  const out = new Map<string, TensorToWrite>();
  for (const p of parts)
    for (const e of p.map) {
      const name = p.prefix + e[p.naming]!;
      if (!out.has(name))
        out.set(name, { name, dtype, shape: e.shape[p.naming], data: encode(values(name, e.shape[p.naming]), dtype) });
    }
  return [...out.values()];
}

type Inputs = Record<string, { type: 'float32' | 'int32'; dims: number[]; data: Float32Array | Int32Array }>;

/** Fixed inputs per component, named as the graph's inputs. */
function inputsFor(arch: GraphArch, key: string): Inputs {
  const f = (name: string, dims: number[], lo = -1, hi = 1) => ({
    type: 'float32' as const,
    dims,
    data: uniform(
      `${key}.${name}`,
      dims.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
  });
  switch (arch.kind) {
    case 'unet': {
      const r: Inputs = {
        sample: f('sample', [2, arch.inChannels, 16, 16]),
        timestep: { type: 'float32', dims: [2], data: Float32Array.from([981, 21.5]) },
        encoder_hidden_states: f('ctx', [2, 8, arch.crossAttentionDim]),
      };
      if (arch.additionEmbedInput !== null) {
        r.text_embeds = f('pooled', [2, 1280]);
        r.time_ids = {
          type: 'float32',
          dims: [2, 6],
          data: Float32Array.from([128, 96, 0, 0, 128, 96, 64, 64, 8, 0, 64, 64]),
        };
      }
      return r;
    }
    case 'mmdit':
      return {
        hidden_states: f('latent', [2, arch.inChannels, 8, 8]),
        encoder_hidden_states: f('ctx', [2, 6, arch.jointAttentionDim]),
        pooled_projections: f('pooled', [2, arch.pooledProjectionDim]),
        timestep: { type: 'float32', dims: [2], data: Float32Array.from([981, 21.5]) },
      };
    case 'cross-dit':
      return {
        hidden_states: f('latent', [2, arch.inChannels, 8, 8]),
        timestep: { type: 'float32', dims: [2], data: Float32Array.from([981, 21.5]) },
        encoder_hidden_states: f('ctx', [2, 6, arch.captionChannels]),
      };
    case 'autoencoder-kl':
      return { latent_sample: f('latent', [1, arch.latentChannels, 8, 8], -2, 2) };
    case 'clip-text': {
      // Start token, words, end token (the highest id: where the pooled output is read), padding.
      const ids = [arch.vocab - 2, 5, 17, 42, arch.vocab - 1, arch.vocab - 1, arch.vocab - 1, arch.vocab - 1];
      const ids2 = [arch.vocab - 2, 3, arch.vocab - 1, 0, 0, 0, 0, 0];
      return { input_ids: { type: 'int32', dims: [2, arch.maxTokens], data: Int32Array.from([...ids, ...ids2]) } };
    }
    default:
      throw new Error(`no inputs for ${arch.kind}`);
  }
}

/** genready's path: the checkpoint's tensors through the name map into the ONNX graph, run by onnxruntime. */
async function runOnnx(
  file: string,
  p: Part,
  inputs: Inputs,
): Promise<Map<string, { dims: number[]; data: Float32Array }>> {
  const weights = loadGraphWeights([readSafetensorsHeader(file)], p.prefix, p.map, p.naming);
  const model = join(dir, `${p.key}-${Math.random().toString(36).slice(2)}.onnx`);
  await writeOnnxModel(p.arch, model, {
    bound: new Map(weights.map((w) => [w.name, { dims: w.dims, data: w.data }])),
    dtype: 'float32',
  });
  const session = await createSession(model, { providers: ['cpu'], threads: 1 });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new Tensor(v.type, v.data, v.dims)]));
  const out = await session.run(feeds);
  await session.release();
  return new Map(
    Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) }]),
  );
}

/** The check script's outputs file, as {name: values}. */
function readOutputs(file: string): Map<string, { dims: number[]; data: Float32Array }> {
  const h = readSafetensorsHeader(file);
  const bytes = readFileSync(file);
  return new Map(
    h.tensors.map((t) => [
      t.name,
      {
        dims: t.shape,
        data: toFloat32(t.dtype, bytes.subarray(8 + h.headerBytes + t.begin, 8 + h.headerBytes + t.end), file, t.name),
      },
    ]),
  );
}

/** max |a − b| / max |b|: the difference's ∞-norm relative to the reference output's. */
function relativeError(a: Float32Array, ref: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return diff / scale;
}

/** Writes the checkpoint and inputs, runs the torch script's check mode; returns the torch outputs. */
function runTorch(name: string, components: TorchCheckComponent[], file: string, inputs: TensorToWrite[]) {
  const script = join(dir, `${name}.py`);
  writeFileSync(script, renderTorchScript([], { check: components }));
  const inPath = join(dir, `${name}-in.safetensors`);
  const outPath = join(dir, `${name}-out.safetensors`);
  writeSafetensors(inPath, inputs);
  const r = spawnSync(python!, [script, '--check', file, '--inputs', inPath, '--out', outPath], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(r.status, 0, `torch check failed: ${r.stderr}`);
  return { outputs: readOutputs(outPath), stderr: r.stderr };
}

function inputTensors(parts: readonly Part[], all: Record<string, Inputs>): TensorToWrite[] {
  return parts.flatMap((p) =>
    Object.entries(all[p.key]!).map(([k, v]) => ({
      name: `${p.key}.${k}`,
      dtype: v.type === 'int32' ? ('I32' as const) : ('F32' as const),
      shape: v.dims,
      data: new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength),
    })),
  );
}

/** Both paths on one checkpoint: the relative error per output, `key.output`. */
async function crossCheck(name: string, parts: Part[], dtype: DType, torchParts = parts) {
  const file = join(dir, `${name}.safetensors`);
  writeSafetensors(file, checkpointTensors(parts, dtype));
  const inputs = Object.fromEntries(parts.map((p) => [p.key, inputsFor(p.arch, p.key)]));
  const components = torchParts.map((p) => torchCheckComponent(p.key, p.arch, p.map, p.naming, p.prefix));
  const torch = runTorch(name, components, file, inputTensors(parts, inputs));
  const errors: Record<string, number> = {};
  for (const p of parts) {
    const onnx = await runOnnx(file, p, inputs[p.key]!);
    for (const [out, o] of onnx) {
      const t = torch.outputs.get(`${p.key}.${out}`);
      assert.ok(t, `the torch script wrote no ${p.key}.${out}`);
      assert.deepEqual(t.dims, o.dims, `${p.key}.${out} shape`);
      assert.ok(
        o.data.every((x) => Number.isFinite(x)),
        `${p.key}.${out}: onnxruntime output is finite`,
      );
      assert.ok(
        o.data.some((x) => Math.abs(x) > 1e-3),
        `${p.key}.${out}: the output is not all zeros`,
      );
      errors[`${p.key}.${out}`] = relativeError(t.data, o.data);
    }
  }
  return { errors, stderr: torch.stderr };
}

const geluClip: ClipTextArch = { ...tinyClipProjected, activation: 'gelu' };

const sd1Parts: Part[] = [
  {
    key: 'unet',
    arch: tinyUNet,
    map: unetNameMap(tinyUNet, { convProjection: true }),
    naming: 'ldm',
    prefix: 'model.diffusion_model.',
  },
  { key: 'vae', arch: tinyVae, map: vaeDecoderNameMap(tinyVae), naming: 'ldm', prefix: 'first_stage_model.' },
  {
    key: 'text',
    arch: { ...tinyClip, activation: 'quick_gelu' },
    map: clipTextNameMap(tinyClip),
    naming: 'ldm',
    prefix: 'cond_stage_model.transformer.',
  },
];

const xlParts: Part[] = [
  {
    key: 'unet',
    arch: tinyUNetXL,
    map: unetNameMap(tinyUNetXL, { convProjection: false }),
    naming: 'ldm',
    prefix: 'model.diffusion_model.',
  },
  { key: 'vae', arch: tinyVae, map: vaeDecoderNameMap(tinyVae), naming: 'diffusers', prefix: 'vae.' },
  {
    key: 'text2',
    arch: geluClip,
    map: openClipTextNameMap(geluClip),
    naming: 'ldm',
    prefix: 'conditioner.embedders.1.model.',
  },
];

/** SD3.5-style MMDiT-X in SAI's names (fused qkv, swapped adaLN halves), SD3-style in diffusers', PixArt in the original names (fused qkv, kv). */
const ditParts: Part[] = [
  {
    key: 'sd35',
    arch: tinyMMDiTX,
    map: mmditNameMap(tinyMMDiTX),
    naming: 'ldm',
    prefix: 'model.diffusion_model.',
  },
  { key: 'sd3', arch: tinyMMDiT, map: mmditNameMap(tinyMMDiT), naming: 'diffusers', prefix: 'transformer.' },
  { key: 'pixart', arch: tinyCrossDiT, map: crossDitNameMap(tinyCrossDiT), naming: 'ldm', prefix: '' },
];

describe('PyTorch cross-check of checkpoint loading (bench --emit-torch check mode)', { skip: missing }, () => {
  before(() => {
    assert.ok(python, 'CI must find a python whose `import torch` works (.ci/run installs python3-torch)');
  });

  it('SD 1.x layout (LDM names, fp32 file): UNet, VAE decoder and CLIP (quick_gelu) agree to 1e-4', async () => {
    const { errors, stderr } = await crossCheck('sd1', sd1Parts, 'F32');
    console.log(`# max relative error (SD 1.x layout): ${JSON.stringify(errors)}`);
    assert.deepEqual(Object.keys(errors).sort(), [
      'text.last_hidden_state',
      'text.pooler_output',
      'unet.out_sample',
      'vae.sample',
    ]);
    for (const [k, e] of Object.entries(errors)) assert.ok(e < TOLERANCE, `${k}: ${e}`);
    // Every parameter of every module was bound from the file (the script refuses otherwise).
    assert.match(stderr, /unet: denoiser unet, \d+ parameters bound/);
  });

  it('SDXL layout (fp16 file; OpenCLIP fused q/k/v, [in, out] projection, exact gelu; diffusers VAE): agree to 1e-4', async () => {
    const { errors } = await crossCheck('xl', xlParts, 'F16');
    console.log(`# max relative error (SDXL layout): ${JSON.stringify(errors)}`);
    assert.deepEqual(Object.keys(errors).sort(), [
      'text2.last_hidden_state',
      'text2.text_embeds',
      'unet.out_sample',
      'vae.sample',
    ]);
    for (const [k, e] of Object.entries(errors)) assert.ok(e < TOLERANCE, `${k}: ${e}`);
  });

  it('SD3 / SD3.5 MMDiT (SAI and diffusers names) and PixArt (original names), bf16 file: agree to 1e-4', async () => {
    const { errors } = await crossCheck('dits', ditParts, 'BF16');
    console.log(`# max relative error (DiTs): ${JSON.stringify(errors)}`);
    assert.deepEqual(Object.keys(errors).sort(), [
      'pixart.out_hidden_states',
      'sd3.out_hidden_states',
      'sd35.out_hidden_states',
    ]);
    for (const [k, e] of Object.entries(errors)) assert.ok(e < TOLERANCE, `${k}: ${e}`);
  });

  it('tells quick_gelu from gelu: the OpenCLIP tower run with the wrong activation misses by more than ten times 1e-4', async () => {
    const text = xlParts[2]!;
    const wrong = { ...text, arch: { ...geluClip, activation: 'quick_gelu' as const } };
    const { errors } = await crossCheck('xl-wrong-act', [text], 'BF16', [wrong]);
    console.log(`# max relative error with the wrong activation: ${JSON.stringify(errors)}`);
    assert.ok(errors['text2.last_hidden_state']! > 10 * TOLERANCE, JSON.stringify(errors));
  });

  it('refuses a checkpoint that lacks a tensor the name map binds, naming it', () => {
    const file = join(dir, 'short.safetensors');
    const tensors = checkpointTensors([sd1Parts[1]!], 'F32');
    writeSafetensors(file, tensors.slice(1));
    const comp = torchCheckComponent('vae', tinyVae, vaeDecoderNameMap(tinyVae), 'ldm', 'first_stage_model.');
    const script = join(dir, 'short.py');
    writeFileSync(script, renderTorchScript([], { check: [comp] }));
    const inPath = join(dir, 'short-in.safetensors');
    writeSafetensors(inPath, inputTensors([sd1Parts[1]!], { vae: inputsFor(tinyVae, 'vae') }));
    const r = spawnSync(python!, [script, '--check', file, '--inputs', inPath, '--out', join(dir, 'short-out.st')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`tensor '${tensors[0]!.name.replaceAll('.', '\\.')}' is missing`));
  });
});

describe('the emitted script measures on torch 1.13 on the CPU (fp32, plain attention)', { skip: missing }, () => {
  it('runs every denoiser kind and the VAE decoder, with the parameter counts of the graphs', () => {
    const base = { width: 64, height: 64, batch: 1, forwardBatch: 2, latentHeight: 8, latentWidth: 8, textTokens: 8 };
    const cases: TorchCase[] = (
      [
        ['unet', tinyUNet],
        ['unet-xl', tinyUNetXL],
        ['mmdit', tinyMMDiTX],
        ['flux', tinyFlux],
        ['cross-dit', tinyCrossDiT],
        ['vae', tinyVae],
      ] as const
    ).map(([model, arch]) => ({
      ...base,
      model,
      phase: arch.kind === 'autoencoder-kl' ? 'vae-decode' : 'denoising',
      precision: 'fp16',
      attention: 'sdpa',
      parameters: graphParameters(arch),
      arch,
    }));
    const script = join(dir, 'cpu-bench.py');
    writeFileSync(script, renderTorchScript(cases, { warmup: 0, iterations: 1 }));
    const r = spawnSync(python!, [script, '--device', 'cpu'], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      environment: { backend: string; torch: string };
      results: { model: string; precision: string; attention: string; parameters: number; measuredSeconds: number }[];
      failed: unknown[];
    };
    assert.deepEqual(out.failed, []);
    assert.equal(out.environment.backend, 'cpu');
    assert.deepEqual(
      out.results.map((x) => x.model),
      cases.map((c) => c.model),
    );
    for (const [i, x] of out.results.entries()) {
      assert.equal(x.parameters, cases[i]!.parameters, x.model);
      // The CPU measures fp32; without scaled_dot_product_attention (torch < 2) the plain kernel.
      assert.equal(x.precision, 'fp32');
      if (out.environment.torch.startsWith('1.')) assert.equal(x.attention, 'naive');
      assert.ok(x.measuredSeconds > 0);
    }
  });
});
