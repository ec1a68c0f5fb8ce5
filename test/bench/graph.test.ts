/**
 * The graph builder: ONNX graphs from the same architecture descriptions the cost model walks. On
 * tiny configurations (same layer kinds, few channels) the written graph must carry exactly the
 * analyzer's parameters and produce the analyzer's output sizes; on the catalog's real configs the
 * parameter count is checked by a dry run.
 */

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import onnxp from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { models } from '../../data/models/index.ts';
import type { AutoencoderArch, ClipTextArch, UNetArch } from '../../src/catalog/models.types.ts';
import { walkCrossDiT, walkFlux, walkMMDiT } from '../../src/cost/analyze/dit.ts';
import { walkClipText, walkVaeDecoder } from '../../src/cost/analyze/encoders.ts';
import { sumParams, walk } from '../../src/cost/analyze/index.ts';
import { walkUNet } from '../../src/cost/analyze/unet.ts';
import { toHalf } from '../../src/graph/_onnx.ts';
import {
  type GraphArch,
  graphParameters,
  isGraphArch,
  writeOnnxModel,
  writeOnnxModelFiles,
} from '../../src/graph/index.ts';
import {
  tinyClip,
  tinyClipProjected,
  tinyCrossDiT,
  tinyFlux,
  tinyFluxSchnell,
  tinyMMDiT,
  tinyMMDiTX,
  tinyUNet,
  tinyUNetXL,
  tinyVae,
} from './_tiny.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-graph-'));
// Non-square, to catch transposed height/width; multiples of 4 as the 3-level tiny UNet needs
// (the product's sizes are multiples of the model's size multiple).
const LATENT = { h: 4, w: 8 };

/** The analyzer's parameter count: the decoder only for the VAE (what the graph holds). */
function analyzerParams(a: GraphArch): number {
  const g = {
    width: 8 * LATENT.w,
    height: 8 * LATENT.h,
    latentWidth: LATENT.w,
    latentHeight: LATENT.h,
    textTokens: 77,
  };
  return a.kind === 'autoencoder-kl' ? sumParams(walkVaeDecoder(a, g).ops) : sumParams(walk(a, g));
}

/** Parameters counted from the file itself: every float initializer that is not a small constant. */
function initializerParams(path: string): number {
  const m = onnxp.onnx.ModelProto.decode(readFileSync(path));
  return m
    .graph!.initializer!.filter((t) => !t.name!.startsWith('const_'))
    .reduce((s, t) => s + t.dims!.reduce((a: number, b) => a * Number(b), 1), 0);
}

function filled(type: 'float32' | 'float16', dims: number[], f: (i: number) => number): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, (_, i) => f(i));
  return type === 'float32' ? new ort.Tensor('float32', v, dims) : new ort.Tensor('float16', toHalf(v), dims);
}

function feedsFor(a: GraphArch, batch: number, type: 'float32' | 'float16'): Record<string, ort.Tensor> {
  switch (a.kind) {
    case 'unet': {
      const f: Record<string, ort.Tensor> = {
        sample: filled(type, [batch, a.inChannels, LATENT.h, LATENT.w], (i) => Math.sin(i)),
        timestep: new ort.Tensor(
          'float32',
          Float32Array.from({ length: batch }, (_, i) => 999 - 100 * i),
          [batch],
        ),
        encoder_hidden_states: filled(type, [batch, 5, a.crossAttentionDim], (i) => Math.cos(i)),
      };
      if (a.additionEmbedInput !== null) {
        f.text_embeds = filled(type, [batch, 1280], (i) => Math.sin(3 * i));
        f.time_ids = filled(type, [batch, 6], (i) => [1024, 1024, 0, 0, 1024, 1024][i % 6]!);
      }
      return f;
    }
    case 'mmdit':
      return {
        hidden_states: filled(type, [batch, a.inChannels, LATENT.h, LATENT.w], (i) => Math.sin(i)),
        encoder_hidden_states: filled(type, [batch, 5, a.jointAttentionDim], (i) => Math.cos(i)),
        pooled_projections: filled(type, [batch, a.pooledProjectionDim], (i) => Math.sin(2 * i)),
        timestep: new ort.Tensor(
          'float32',
          Float32Array.from({ length: batch }, (_, i) => 999 - 100 * i),
          [batch],
        ),
      };
    case 'flux': {
      // Packed latents: LATENT is 4 × 8, so a 2 × 4 token grid; ids as FLUX's (row, column), text at 0.
      const tokens = (LATENT.h / a.patchSize) * (LATENT.w / a.patchSize);
      const f: Record<string, ort.Tensor> = {
        hidden_states: filled(type, [batch, tokens, a.latentChannels * a.patchSize ** 2], (i) => Math.sin(i)),
        encoder_hidden_states: filled(type, [batch, 5, a.contextDim], (i) => Math.cos(i)),
        pooled_projections: filled(type, [batch, a.vecInDim], (i) => Math.sin(2 * i)),
        timestep: new ort.Tensor(
          'float32',
          Float32Array.from({ length: batch }, (_, i) => 1 - 0.1 * i),
          [batch],
        ),
        img_ids: new ort.Tensor(
          'float32',
          Float32Array.from({ length: tokens * 3 }, (_, i) => [0, Math.floor(i / 12), Math.floor(i / 3) % 4][i % 3]!),
          [tokens, 3],
        ),
        txt_ids: new ort.Tensor('float32', new Float32Array(15), [5, 3]),
      };
      if (a.guidanceEmbed) f.guidance = new ort.Tensor('float32', new Float32Array(batch).fill(3.5), [batch]);
      return f;
    }
    case 'cross-dit':
      return {
        hidden_states: filled(type, [batch, a.inChannels, LATENT.h, LATENT.w], (i) => Math.sin(i)),
        timestep: new ort.Tensor(
          'float32',
          Float32Array.from({ length: batch }, (_, i) => 999 - 100 * i),
          [batch],
        ),
        encoder_hidden_states: filled(type, [batch, 5, a.captionChannels], (i) => Math.cos(i)),
      };
    case 'autoencoder-kl':
      return { latent_sample: filled(type, [batch, a.latentChannels, LATENT.h, LATENT.w], (i) => Math.sin(i)) };
    case 'clip-text':
      // Row 0: BOS, a word, EOS (the highest id), padding; row 1 has its EOS elsewhere.
      return {
        input_ids: new ort.Tensor(
          'int32',
          Int32Array.from(
            { length: batch * a.maxTokens },
            (_, i) => [0, 5, a.vocab - 1, 0, 0, 0, 0, 0][(i + 3 * Math.floor(i / a.maxTokens)) % a.maxTokens] ?? 0,
          ),
          [batch, a.maxTokens],
        ),
      };
  }
}

async function run(path: string, a: GraphArch, batch = 2, type: 'float32' | 'float16' = 'float32') {
  const s = await ort.InferenceSession.create(path);
  try {
    return await s.run(feedsFor(a, batch, type));
  } finally {
    await s.release();
  }
}

const TINY: [string, GraphArch][] = [
  ['unet', tinyUNet],
  ['unet (SDXL-style micro-conditioning)', tinyUNetXL],
  ['autoencoder-kl decoder', tinyVae],
  ['clip-text', tinyClip],
  ['clip-text with projection', tinyClipProjected],
  ['cross-dit (PixArt-style)', tinyCrossDiT],
  ['mmdit (SD3-style)', tinyMMDiT],
  ['mmdit (SD3.5-style: qk-norm, MMDiT-X blocks)', tinyMMDiTX],
  ['flux (dev-style: guidance embedding)', tinyFlux],
  ['flux (schnell-style: no guidance)', tinyFluxSchnell],
];

/** Output elements per sample, from the analyzer's tracer (its current activation at the end). */
function analyzerOutputElems(a: GraphArch): number {
  if (a.kind === 'unet') return walkUNet(a, { latentHeight: LATENT.h, latentWidth: LATENT.w, textTokens: 5 }).current;
  if (a.kind === 'autoencoder-kl') return walkVaeDecoder(a, { latentHeight: LATENT.h, latentWidth: LATENT.w }).current;
  if (a.kind === 'cross-dit')
    return walkCrossDiT(a, { latentHeight: LATENT.h, latentWidth: LATENT.w, textTokens: 5 }).current;
  if (a.kind === 'mmdit') return walkMMDiT(a, { latentHeight: LATENT.h, latentWidth: LATENT.w, textTokens: 5 }).current;
  if (a.kind === 'flux') return walkFlux(a, { latentHeight: LATENT.h, latentWidth: LATENT.w, textTokens: 5 }).current;
  return walkClipText(a).current;
}

for (const [name, arch] of TINY) {
  test(`${name}: the written graph holds exactly the analyzer's parameters and produces its output size`, async () => {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.onnx`);
    const { parameters } = await writeOnnxModel(arch, path, { seed: 7, dtype: 'float32' });
    assert.equal(parameters, analyzerParams(arch));
    assert.equal(initializerParams(path), parameters);
    const out = await run(path, arch);
    const main =
      out[
        {
          unet: 'out_sample',
          'autoencoder-kl': 'sample',
          'clip-text': 'last_hidden_state',
          'cross-dit': 'out_hidden_states',
          mmdit: 'out_hidden_states',
          flux: 'out_hidden_states',
        }[arch.kind]
      ]!;
    assert.equal(main.dims[0], 2);
    assert.equal(main.size / 2, analyzerOutputElems(arch));
    if (arch.kind === 'unet' || arch.kind === 'cross-dit' || arch.kind === 'mmdit')
      assert.deepEqual(main.dims, [2, arch.outChannels, LATENT.h, LATENT.w]);
    if (arch.kind === 'flux')
      assert.deepEqual(main.dims, [2, (LATENT.h / 2) * (LATENT.w / 2), arch.latentChannels * 4]);
    if (arch.kind === 'autoencoder-kl')
      assert.deepEqual(main.dims, [2, arch.imageChannels, 4 * LATENT.h, 4 * LATENT.w]);
    if (arch.kind === 'clip-text') {
      const pooled = arch.projection > 0 ? out.text_embeds! : out.pooler_output!;
      assert.deepEqual(pooled.dims, [2, arch.projection || arch.width]);
    }
    // Random weights keep activations finite and near unit scale.
    const v = main.data as Float32Array;
    assert.ok(v.every(Number.isFinite));
    const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    assert.ok(rms > 1e-3 && rms < 1e2, `rms ${rms}`);
  });
}

test('clip-text pools the hidden state at the highest token id (the EOS), per row', async () => {
  const path = join(dir, 'clip-pool.onnx');
  await writeOnnxModel(tinyClip, path, { seed: 3, dtype: 'float32' });
  const out = await run(path, tinyClip as GraphArch);
  const last = out.last_hidden_state!.data as Float32Array;
  const pooled = out.pooler_output!.data as Float32Array;
  const ids = feedsFor(tinyClip as GraphArch, 2, 'float32').input_ids!.data as Int32Array;
  const d = tinyClip.width;
  for (let b = 0; b < 2; b++) {
    const row = Array.from(ids.subarray(b * 8, b * 8 + 8));
    const eos = row.indexOf(Math.max(...row));
    assert.deepEqual(
      Array.from(pooled.subarray(b * d, b * d + d)),
      Array.from(last.subarray((b * 8 + eos) * d, (b * 8 + eos + 1) * d)),
    );
  }
  assert.notDeepEqual(Array.from(pooled.subarray(0, d)), Array.from(pooled.subarray(d, 2 * d)));
});

test('every UNet, VAE decoder and CLIP text encoder in the catalog: graph parameters = analyzer (dry run, no files)', () => {
  let checked = 0;
  for (const m of models) {
    for (const c of [m.denoiser, m.vae, ...m.textEncoders]) {
      if (!isGraphArch(c.arch)) continue;
      assert.equal(graphParameters(c.arch), analyzerParams(c.arch), `${m.id} ${c.name}`);
      checked++;
    }
  }
  assert.ok(checked >= 31, `checked ${checked}`);
  assert.ok(
    models.some((m) => m.denoiser.arch.kind === 'mmdit' && isGraphArch(m.denoiser.arch)),
    'SD3 is built',
  );
  assert.ok(
    models.some((m) => m.denoiser.arch.kind === 'cross-dit' && isGraphArch(m.denoiser.arch)),
    'PixArt is built',
  );
  // FLUX: 11.9 B parameters counted without materialising one, equal to the analyzer and to the published figures.
  for (const id of ['flux1-dev', 'flux1-schnell']) {
    const m = models.find((x) => x.id === id)!;
    assert.ok(isGraphArch(m.denoiser.arch), `${id} is built`);
    assert.equal(graphParameters(m.denoiser.arch), analyzerParams(m.denoiser.arch), id);
    assert.equal(graphParameters(m.denoiser.arch), m.denoiser.published.parameters, id);
  }
  // And the published figure where the component is whole (a UNet is all parameters).
  const sd15 = models.find((m) => m.id === 'sd15')!;
  assert.equal(graphParameters(sd15.denoiser.arch as UNetArch), sd15.denoiser.published.parameters);
});

test('flux rotates queries and keys by the position ids (RoPE is wired, not a no-op)', async () => {
  const path = join(dir, 'flux-rope.onnx');
  await writeOnnxModel(tinyFluxSchnell, path, { seed: 2, dtype: 'float32' });
  const s = await ort.InferenceSession.create(path);
  try {
    const feeds = feedsFor(tinyFluxSchnell, 1, 'float32');
    const placed = (await s.run(feeds)).out_hidden_states!.data as Float32Array;
    const nowhere = (
      await s.run({
        ...feeds,
        img_ids: new ort.Tensor('float32', new Float32Array(feeds.img_ids!.size), feeds.img_ids!.dims),
      })
    ).out_hidden_states!.data as Float32Array;
    assert.equal(placed.length, nowhere.length);
    assert.ok(
      placed.some((v, i) => Math.abs(v - nowhere[i]!) > 1e-4),
      'the output depends on where the tokens are',
    );
  } finally {
    await s.release();
  }
});

test('the same seed gives the same bytes; another seed other weights; runs are deterministic for a seed', async () => {
  const a = join(dir, 'det-a.onnx');
  const b = join(dir, 'det-b.onnx');
  const c = join(dir, 'det-c.onnx');
  await writeOnnxModel(tinyVae, a, { seed: 11, dtype: 'float32' });
  await writeOnnxModel(tinyVae, b, { seed: 11, dtype: 'float32' });
  await writeOnnxModel(tinyVae, c, { seed: 12, dtype: 'float32' });
  assert.ok(readFileSync(a).equals(readFileSync(b)));
  assert.ok(!readFileSync(a).equals(readFileSync(c)));
  const [x, y] = [await run(a, tinyVae), await run(b, tinyVae)];
  assert.deepEqual(Array.from(x.sample!.data as Float32Array), Array.from(y.sample!.data as Float32Array));
});

test('weights go to an external data file past the threshold, with identical results', async () => {
  const inline = join(dir, 'ext-inline.onnx');
  const external = join(dir, 'ext-external.onnx');
  const r1 = await writeOnnxModelFiles(tinyUNet, inline, { seed: 5, dtype: 'float32' });
  const r2 = await writeOnnxModelFiles(tinyUNet, external, { seed: 5, dtype: 'float32', externalThresholdBytes: 0 });
  assert.equal(r1.files.length, 1);
  assert.equal(existsSync(`${inline}.data`), false);
  assert.equal(r2.files.length, 2);
  assert.ok(statSync(`${external}.data`).size >= r2.parameters * 4);
  const m = onnxp.onnx.ModelProto.decode(readFileSync(external));
  const weights = m.graph!.initializer!.filter((t) => !t.name!.startsWith('const_'));
  assert.ok(
    weights.every((t) => t.dataLocation === onnxp.onnx.TensorProto.DataLocation.EXTERNAL && t.rawData!.length === 0),
    'the model file holds only the graph',
  );
  const [x, y] = [await run(inline, tinyUNet), await run(external, tinyUNet)];
  assert.deepEqual(Array.from(x.out_sample!.data as Float32Array), Array.from(y.out_sample!.data as Float32Array));
});

test('float16 graphs store half-size weights and take and return float16 tensors', async () => {
  const f32 = join(dir, 'h-32.onnx');
  const f16 = join(dir, 'h-16.onnx');
  const a: AutoencoderArch = tinyVae;
  await writeOnnxModel(a, f32, { seed: 1, dtype: 'float32' });
  const r = await writeOnnxModel(a, f16, { seed: 1, dtype: 'float16' });
  assert.equal(r.parameters, analyzerParams(a));
  const ratio = statSync(f16).size / statSync(f32).size;
  assert.ok(ratio > 0.48 && ratio < 0.56, `size ratio ${ratio}`);
  const out = await run(f16, a, 1, 'float16');
  assert.equal(out.sample!.type, 'float16');
  const clip: ClipTextArch = tinyClipProjected;
  await writeOnnxModel(clip, f16, { seed: 1, dtype: 'float16' });
  const o2 = await run(f16, clip, 1, 'float16');
  assert.equal(o2.text_embeds!.type, 'float16');
  // No infinities or NaNs (exponent all ones) in the half-precision output.
  assert.ok(Array.from(o2.last_hidden_state!.data as Uint16Array).every((h) => (h & 0x7c00) !== 0x7c00));
});

test('toHalf rounds to nearest even and saturates like IEEE conversion', () => {
  const h = toHalf(Float32Array.from([0, -0, 1, -2, 65504, 1e6, 2 ** -24, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN]));
  assert.deepEqual(
    Array.from(h.subarray(0, 9)),
    [0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x3c00, 0x3c02],
  );
  assert.equal(h[9]! & 0x7c00, 0x7c00);
  assert.notEqual(h[9]! & 0x3ff, 0);
});

test('an SDXL-style UNet whose micro-conditioning width is not 1280 + n × 256 is refused with a clear error', () => {
  const bad: UNetArch = { ...tinyUNetXL, additionEmbedInput: 1000 };
  assert.throws(() => graphParameters(bad), /additionEmbedInput 1000/);
});
