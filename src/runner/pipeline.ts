/**
 * Text-to-image with classifier-free guidance on onnxruntime: tokenize → encode → seeded latents →
 * denoising loop (the recipe's sampler) → VAE decode → 8-bit RGB. Same maths as diffusers'
 * StableDiffusionPipeline: noise = uncond + g · (cond − uncond), latents / scaling_factor into the
 * decoder, image = clamp(x / 2 + 0.5, 0, 1) · 255 rounded.
 *
 * Reproducibility: each image's latent and its ancestral noise come from its own seeded stream
 * (src/runner/noise.ts), and text embeddings are computed one prompt at a time and cached, so an
 * image does not depend on which other images share its batch (test/runner/pipeline.test.ts checks
 * batch 1 and batch 2 give the same bytes on the CPU backend).
 */
import type * as ort from 'onnxruntime-node';
import { asFloat32, floatTensor, inputType, numberTensor } from './_tensor.ts';
import { RunnerError } from './errors.ts';
import type { OpenModel } from './model-folder.ts';
import { seededNoise } from './noise.ts';
import type { ImageSpec } from './recipe.ts';
import { SAMPLERS } from './schedulers/index.ts';

export interface GeneratedImage {
  spec: ImageSpec;
  /** width × height × 3 bytes, row-major RGB. */
  rgb: Uint8Array;
  /** Prompt / negative prompt tokens cut to fit the text encoder. */
  truncatedTokens: { prompt: number; negative: number };
}

export interface PipelineHooks {
  /** After each denoising step of the batch (1-based). */
  onStep?: (step: number, steps: number) => void;
}

function feedName(session: ort.InferenceSession, name: string): void {
  if (!session.inputNames.includes(name)) throw new RunnerError('bad-model', `model input "${name}" is missing`);
}

interface Embedding {
  /** [tokens, width] token embeddings (SDXL: both encoders side by side). */
  emb: Float32Array;
  /** SDXL: text_encoder_2's pooled projection. */
  pooled: Float32Array | null;
  truncated: number;
}

/** The penultimate layer when the export has `hidden_states.N` outputs (SDXL uses it), else the last. */
function hiddenOutput(s: ort.InferenceSession, penultimate: boolean): string {
  if (!penultimate) return 'last_hidden_state';
  const layers = s.outputNames.flatMap((n) => (/^hidden_states\.(\d+)$/.exec(n) ? [Number(n.split('.')[1])] : []));
  // Without per-layer outputs the last layer stands in (documented limitation).
  return layers.length >= 2 ? `hidden_states.${Math.max(...layers) - 1}` : 'last_hidden_state';
}

/**
 * Text embeddings per distinct text, computed alone (batch 1) so they never depend on batch company.
 * Bounded: a run walks its prompts in order, so a few recent ones are all that repeat (an SD 1.5
 * embedding is 77 × 768 floats, 236 KB; 10 000 unique prompts would not fit in memory).
 */
export class TextEncoderCache {
  private readonly cache = new Map<string, Embedding>();
  static readonly MAX = 64;
  constructor(private readonly model: OpenModel) {}

  private async encode(
    s: ort.InferenceSession,
    ids: number[],
    output: string,
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    const out = await runPart('text encoder', s, {
      input_ids: numberTensor(inputType(s, 'input_ids'), ids, [1, ids.length]),
    });
    if (!out[output]) throw new RunnerError('bad-model', `text encoder returned no ${output}`);
    return out;
  }

  async get(text: string, negative = false): Promise<Embedding> {
    const m = this.model;
    const key = `${negative ? 'n' : 'p'}:${text}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let v: Embedding;
    const te1 = m.sessions.text_encoder;
    const { ids, truncated } = m.tokenizer.encode(text);
    if (!m.sdxl) {
      const out = await this.encode(te1, ids, 'last_hidden_state');
      v = { emb: asFloat32(out.last_hidden_state!).slice(), pooled: null, truncated };
    } else {
      const te2 = m.sessions.text_encoder_2!;
      const enc2 = m.sdxl.tokenizer2.encode(text);
      const o1 = hiddenOutput(te1, true);
      const o2 = hiddenOutput(te2, true);
      const a = asFloat32((await this.encode(te1, ids, o1))[o1]!);
      const out2 = await this.encode(te2, enc2.ids, o2);
      const b = asFloat32(out2[o2]!);
      const L = ids.length;
      if (enc2.ids.length !== L)
        throw new RunnerError('bad-model', `tokenizer pads to ${L} tokens but tokenizer_2 to ${enc2.ids.length}`);
      const w1 = a.length / L;
      const w2 = b.length / L;
      const emb = new Float32Array(L * (w1 + w2));
      for (let t = 0; t < L; t++) {
        emb.set(a.subarray(t * w1, (t + 1) * w1), t * (w1 + w2));
        emb.set(b.subarray(t * w2, (t + 1) * w2), t * (w1 + w2) + w1);
      }
      const pooled = asFloat32(out2.text_embeds!).slice();
      // diffusers' SDXL default (force_zeros_for_empty_prompt): no negative prompt = all-zero conditioning.
      if (negative && text === '' && m.sdxl.forceZerosForEmptyPrompt)
        v = { emb: new Float32Array(emb.length), pooled: new Float32Array(pooled.length), truncated: 0 };
      else v = { emb, pooled, truncated: Math.max(truncated, enc2.truncated) };
    }
    this.cache.set(key, v);
    if (this.cache.size > TextEncoderCache.MAX) this.cache.delete(this.cache.keys().next().value!);
    return v;
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function toRgb(chw: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(1, Math.max(0, chw[c * plane + p]! / 2 + 0.5));
      rgb[p * 3 + c] = Math.round(v * 255);
    }
  }
  return rgb;
}

/** Run a graph; a failure inside onnxruntime (out of memory, a kernel missing) becomes one line naming the part. */
async function runPart(
  part: string,
  s: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await s.run(feeds);
  } catch (err) {
    throw new RunnerError(
      'inference-failed',
      `${part} failed in onnxruntime: ${(err as Error).message.split('\n')[0]!.slice(0, 300)}`,
      { cause: err },
    );
  }
}

/** Check the image size against the model before any work. */
export function checkSize(model: OpenModel, width: number, height: number): void {
  if (model.fixedLatent) {
    const [lh, lw] = model.fixedLatent;
    if (height / model.vaeScale !== lh || width / model.vaeScale !== lw) {
      throw new RunnerError(
        'bad-recipe',
        `this unet was exported for one size only, ${lw * model.vaeScale}x${lh * model.vaeScale}; the recipe asks for ${width}x${height}`,
      );
    }
  }
  const multiple = model.vaeScale * model.latentMultiple;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (v % multiple !== 0)
      throw new RunnerError(
        'bad-recipe',
        `${name} ${v} must be a multiple of ${multiple} for this model (VAE ×${model.vaeScale}, UNet ×${model.latentMultiple})`,
      );
  }
}

/** Generate a batch of images that share steps, sampler, guidance and size (prompts and seeds may differ). */
export async function generateBatch(
  model: OpenModel,
  images: readonly ImageSpec[],
  text: TextEncoderCache,
  hooks: PipelineHooks = {},
): Promise<GeneratedImage[]> {
  const first = images[0];
  if (!first) return [];
  for (const im of images) {
    if (
      im.steps !== first.steps ||
      im.sampler !== first.sampler ||
      im.guidance !== first.guidance ||
      im.width !== first.width ||
      im.height !== first.height
    ) {
      throw new Error('generateBatch: images of one batch must share steps, sampler, guidance and size');
    }
  }
  checkSize(model, first.width, first.height);
  const B = images.length;
  const C = model.latentChannels;
  const h = first.height / model.vaeScale;
  const w = first.width / model.vaeScale;
  const per = C * h * w;
  // diffusers runs the unconditional pass only when guidance > 1.
  const cfg = first.guidance > 1;

  const cond = await Promise.all(images.map((im) => text.get(im.prompt)));
  const uncond = cfg ? await Promise.all(images.map((im) => text.get(im.negativePrompt, true))) : [];
  const width = cond[0]!.emb.length / model.tokenizer.maxLength;
  const ehs = concat([...uncond, ...cond].map((e) => e.emb));

  const sampler = SAMPLERS[first.sampler].make(model.scheduler, first.steps);
  const streams = images.map((im) => seededNoise(im.seed));
  let latents = concat(streams.map((s) => s.next(per)));
  for (let k = 0; k < latents.length; k++) latents[k] = latents[k]! * sampler.initNoiseSigma;
  const drawNoise = () => concat(streams.map((s) => s.next(per)));

  const unet = model.sessions.unet;
  for (const n of ['sample', 'timestep', 'encoder_hidden_states']) feedName(unet, n);
  const sampleType = inputType(unet, 'sample');
  const tType = inputType(unet, 'timestep');
  const tMeta = unet.inputMetadata.find((m) => m.name === 'timestep');
  const tScalar = tMeta?.isTensor === true && tMeta.shape.length === 0;
  const rows = cfg ? 2 * B : B;
  const ehsTensor = floatTensor(inputType(unet, 'encoder_hidden_states'), ehs, [
    rows,
    model.tokenizer.maxLength,
    width,
  ]);
  const sdxlFeeds: Record<string, ort.Tensor> = {};
  if (model.sdxl) {
    const pooled = concat([...uncond, ...cond].map((e) => e.pooled!));
    sdxlFeeds.text_embeds = floatTensor(inputType(unet, 'text_embeds'), pooled, [rows, pooled.length / rows]);
    // Micro-conditioning: original size, crop origin (0, 0), target size — all the recipe's size.
    const ids = [first.height, first.width, 0, 0, first.height, first.width];
    sdxlFeeds.time_ids = floatTensor(
      inputType(unet, 'time_ids'),
      Float32Array.from({ length: rows * 6 }, (_, k) => ids[k % 6]!),
      [rows, 6],
    );
  }

  // A UNet exported with a fixed batch gets its rows in groups of that size (rows are independent).
  const group = model.unetBatch ?? rows;
  if (rows % group !== 0)
    throw new RunnerError(
      'bad-model',
      `the unet was exported for batches of ${group}; ${rows} rows (batch ${B}${cfg ? ' × 2 for guidance' : ''}) do not divide into them: use --batch 1`,
    );
  const feedsPer = (from: number, n: number): Record<string, ort.Tensor> => {
    if (n === rows) return { encoder_hidden_states: ehsTensor, ...sdxlFeeds };
    const slice = (name: string, tensor: ort.Tensor, data: Float32Array) => {
      const width = data.length / rows;
      return floatTensor(inputType(unet, name), data.subarray(from * width, (from + n) * width), [
        n,
        ...tensor.dims.slice(1),
      ]);
    };
    const out: Record<string, ort.Tensor> = { encoder_hidden_states: slice('encoder_hidden_states', ehsTensor, ehs) };
    for (const [name, tensor] of Object.entries(sdxlFeeds)) out[name] = slice(name, tensor, asFloat32(tensor));
    return out;
  };
  const denoise = async (input: Float32Array, t: number): Promise<Float32Array> => {
    const parts: Float32Array[] = [];
    for (let from = 0; from < rows; from += group) {
      const out = await runPart('unet', unet, {
        sample: floatTensor(sampleType, input.subarray(from * per, (from + group) * per), [group, C, h, w]),
        timestep: tScalar ? numberTensor(tType, [t], []) : numberTensor(tType, Array(group).fill(t), [group]),
        ...feedsPer(from, group),
      });
      if (!out.out_sample) throw new RunnerError('bad-model', 'unet returned no out_sample');
      parts.push(asFloat32(out.out_sample));
    }
    return parts.length === 1 ? parts[0]! : concat(parts);
  };

  for (let i = 0; i < sampler.timesteps.length; i++) {
    const x = sampler.scaleModelInput(latents, i);
    const input = cfg ? concat([x, x]) : x;
    const t = sampler.timesteps[i]!;
    const o = await denoise(input, t);
    let eps: Float32Array;
    if (cfg) {
      const g = first.guidance;
      eps = new Float32Array(B * per);
      for (let k = 0; k < eps.length; k++) eps[k] = o[k]! + g * (o[B * per + k]! - o[k]!);
    } else eps = o.slice(0, B * per);
    latents = sampler.step(eps, i, latents, drawNoise);
    hooks.onStep?.(i + 1, sampler.timesteps.length);
  }

  const vae = model.sessions.vae_decoder;
  const vaeType = inputType(vae, 'latent_sample');
  const result: GeneratedImage[] = [];
  for (let b = 0; b < B; b++) {
    // Decoded one at a time: peak memory of one image, and no dependence on batch company.
    const z = latents.slice(b * per, (b + 1) * per).map((v) => v / model.scalingFactor);
    const dec = await runPart('vae decoder', vae, { latent_sample: floatTensor(vaeType, z, [1, C, h, w]) });
    const img = dec.sample;
    if (!img) throw new RunnerError('bad-model', 'vae_decoder returned no sample');
    const dims = img.dims;
    if (dims[1] !== 3 || dims[2] !== first.height || dims[3] !== first.width) {
      throw new RunnerError(
        'bad-model',
        `vae_decoder returned [${dims.join(', ')}], expected [1, 3, ${first.height}, ${first.width}]`,
      );
    }
    result.push({
      spec: images[b]!,
      rgb: toRgb(asFloat32(img), first.width, first.height),
      truncatedTokens: { prompt: cond[b]!.truncated, negative: cfg ? uncond[b]!.truncated : 0 },
    });
  }
  return result;
}
