/**
 * Text-to-image with classifier-free guidance over a Backend (src/runner/ports.ts): encode →
 * seeded latents → denoising loop (the recipe's sampler) → decode → 8-bit RGB. Same maths as
 * diffusers' StableDiffusionPipeline: noise = uncond + g · (cond − uncond), image =
 * clamp(x / 2 + 0.5, 0, 1) · 255 rounded. The backend does the model calls; everything that decides
 * reproducibility is here, the same for every backend.
 *
 * Reproducibility: each image's latent and its ancestral noise come from its own seeded stream
 * (src/runner/noise.ts), and text embeddings are computed one prompt at a time and cached, so an
 * image does not depend on which other images share its batch (test/runner/pipeline.test.ts checks
 * batch 1 and batch 2 give the same bytes on the CPU backend).
 */
import { RunnerError } from './errors.ts';
import { seededNoise } from './noise.ts';
import type { LatentGeometry, LoadedModel, TextEmbedding } from './ports.ts';
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

/**
 * Text embeddings per distinct text, computed alone (batch 1) so they never depend on batch company.
 * Bounded: a run walks its prompts in order, so a few recent ones are all that repeat (an SD 1.5
 * embedding is 77 × 768 floats, 236 KB; 10 000 unique prompts would not fit in memory).
 */
export class TextEncoderCache {
  private readonly cache = new Map<string, TextEmbedding>();
  static readonly MAX = 64;
  constructor(private readonly model: Pick<LoadedModel, 'encodeText'>) {}

  async get(text: string, negative = false): Promise<TextEmbedding> {
    const key = `${negative ? 'n' : 'p'}:${text}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const v = await this.model.encodeText(text, negative);
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

/** Check the image size against the model before any work. */
export function checkSize(
  g: Pick<LatentGeometry, 'vaeScale' | 'latentMultiple' | 'fixedLatent'>,
  width: number,
  height: number,
): void {
  if (g.fixedLatent) {
    const [lh, lw] = g.fixedLatent;
    if (height / g.vaeScale !== lh || width / g.vaeScale !== lw) {
      throw new RunnerError(
        'bad-recipe',
        `this unet was exported for one size only, ${lw * g.vaeScale}x${lh * g.vaeScale}; the recipe asks for ${width}x${height}`,
      );
    }
  }
  const multiple = g.vaeScale * g.latentMultiple;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (v % multiple !== 0)
      throw new RunnerError(
        'bad-recipe',
        `${name} ${v} must be a multiple of ${multiple} for this model (VAE ×${g.vaeScale}, UNet ×${g.latentMultiple})`,
      );
  }
}

/**
 * Refuse a size the model cannot make in this machine's memory, before anything is allocated
 * (an 8192×8192 image would otherwise grow to the OOM killer). `ramBytes`: this machine's RAM.
 */
export function checkMemory(model: Pick<LoadedModel, 'minimumBytes'>, width: number, height: number, ramBytes: number) {
  const need = model.minimumBytes?.(width, height);
  if (need === undefined || need <= ramBytes) return;
  const gb = (b: number) => (b / 1e9 >= 100 ? (b / 1e9).toExponential(1) : (b / 1e9).toFixed(1));
  throw new RunnerError(
    'does-not-fit',
    `${width}x${height} needs at least ${gb(need)} GB of memory with this model (weights + one attention head over ${(width * height).toLocaleString('en-US')} pixels' latents); this machine has ${gb(ramBytes)} GB: use a smaller size`,
  );
}

/** Generate a batch of images that share steps, sampler, guidance and size (prompts and seeds may differ). */
export async function generateBatch(
  model: LoadedModel,
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
  const geo = model.geometry;
  checkSize(geo, first.width, first.height);
  const B = images.length;
  const C = geo.channels;
  const h = first.height / geo.vaeScale;
  const w = first.width / geo.vaeScale;
  const per = C * h * w;
  // diffusers runs the unconditional pass only when guidance > 1.
  const cfg = first.guidance > 1;

  const cond = await Promise.all(images.map((im) => text.get(im.prompt)));
  const uncond = cfg ? await Promise.all(images.map((im) => text.get(im.negativePrompt, true))) : [];
  const rowsText = [...uncond, ...cond];

  const sampler = SAMPLERS[first.sampler].make(model.scheduler, first.steps);
  const streams = images.map((im) => seededNoise(im.seed));
  let latents = concat(streams.map((s) => s.next(per)));
  for (let k = 0; k < latents.length; k++) latents[k] = latents[k]! * sampler.initNoiseSigma;
  const drawNoise = () => concat(streams.map((s) => s.next(per)));
  const rows = cfg ? 2 * B : B;

  for (let i = 0; i < sampler.timesteps.length; i++) {
    const x = sampler.scaleModelInput(latents, i);
    const o = await model.denoise({
      sample: cfg ? concat([x, x]) : x,
      rows,
      images: B,
      h,
      w,
      timestep: sampler.timesteps[i]!,
      text: rowsText,
      width: first.width,
      height: first.height,
    });
    let eps: Float32Array;
    if (cfg) {
      const g = first.guidance;
      eps = new Float32Array(B * per);
      for (let k = 0; k < eps.length; k++) eps[k] = o[k]! + g * (o[B * per + k]! - o[k]!);
    } else eps = o.slice(0, B * per);
    latents = sampler.step(eps, i, latents, drawNoise);
    hooks.onStep?.(i + 1, sampler.timesteps.length);
  }

  const result: GeneratedImage[] = [];
  for (let b = 0; b < B; b++) {
    // Decoded one at a time: peak memory of one image, and no dependence on batch company.
    const img = await model.decode(latents.slice(b * per, (b + 1) * per), h, w);
    if (img.length !== 3 * first.width * first.height)
      throw new RunnerError(
        'bad-model',
        `the decoder returned ${img.length} values, expected 3 × ${first.width} × ${first.height}`,
      );
    result.push({
      spec: images[b]!,
      rgb: toRgb(img, first.width, first.height),
      truncatedTokens: { prompt: cond[b]!.truncated, negative: cfg ? uncond[b]!.truncated : 0 },
    });
  }
  return result;
}
