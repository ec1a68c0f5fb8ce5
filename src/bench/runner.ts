/**
 * The measurement core: warm-up, fixed iterations, every sample kept, minimum and median. Time
 * enters through a clock seam so the discipline is testable without a slow model. Inputs are
 * deterministic (a seeded sequence), never uninitialised memory, so a run is repeatable.
 */
import { toHalf } from '../graph/_onnx.ts';
import type { DType, GraphArch } from '../graph/index.ts';
import { POOLED_TEXT_DIM, timeIdCount } from '../graph/unet.ts';
import type { ProviderId } from '../ort/providers.ts';
import { createSession, type InferenceSession } from '../ort/session.ts';
import { Tensor } from '../ort/tensor.ts';

export type Clock = () => number;

/** Milliseconds, monotonic. */
export const defaultClock: Clock = () => performance.now();

export interface Samples {
  /** Seconds of each measured iteration, in order. */
  samples: number[];
  /** Seconds of each warm-up iteration (kept, reported, not summarised). */
  warmup: number[];
  minSeconds: number;
  medianSeconds: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface MeasureOptions {
  warmup: number;
  iterations: number;
  clock?: Clock;
  /** After every iteration (warm-up ones included), for a progress bar. */
  onIteration?: (e: { index: number; total: number; seconds: number; warmup: boolean }) => void;
}

export async function measure(run: () => Promise<unknown>, opts: MeasureOptions): Promise<Samples> {
  if (!Number.isInteger(opts.iterations) || opts.iterations < 1)
    throw new RangeError('iterations must be a positive integer');
  const clock = opts.clock ?? defaultClock;
  const total = opts.warmup + opts.iterations;
  const warmup: number[] = [];
  const samples: number[] = [];
  for (let i = 0; i < total; i++) {
    const t0 = clock();
    await run();
    const seconds = (clock() - t0) / 1000;
    const isWarm = i < opts.warmup;
    (isWarm ? warmup : samples).push(seconds);
    opts.onIteration?.({ index: i, total, seconds, warmup: isWarm });
  }
  return { samples, warmup, minSeconds: Math.min(...samples), medianSeconds: median(samples) };
}

/** What one forward is fed: batch (every tensor of one pass), latent grid, text tokens. */
export interface FeedShape {
  batch: number;
  latentHeight: number;
  latentWidth: number;
  textTokens: number;
}

/** A deterministic fill in [-1, 1): a cheap LCG, enough to keep inputs away from zeros and denormals. */
function tensor(dtype: DType, dims: number[], seed: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2147483648 - 1;
  }
  return dtype === 'float32' ? new Tensor('float32', v, dims) : new Tensor('float16', toHalf(v), dims);
}

export function feedsFor(arch: GraphArch, shape: FeedShape, dtype: DType, seed = 0): Record<string, Tensor> {
  const { batch: b } = shape;
  switch (arch.kind) {
    case 'unet': {
      const feeds: Record<string, Tensor> = {
        sample: tensor(dtype, [b, arch.inChannels, shape.latentHeight, shape.latentWidth], seed + 1),
        timestep: new Tensor('float32', new Float32Array(b).fill(500), [b]),
        encoder_hidden_states: tensor(dtype, [b, shape.textTokens, arch.crossAttentionDim], seed + 2),
      };
      if (arch.additionEmbedInput !== null) {
        feeds.text_embeds = tensor(dtype, [b, POOLED_TEXT_DIM], seed + 3);
        const n = timeIdCount(arch);
        const ids = Float32Array.from(
          { length: b * n },
          (_, i) =>
            [8 * shape.latentHeight, 8 * shape.latentWidth, 0, 0, 8 * shape.latentHeight, 8 * shape.latentWidth][
              i % n
            ] ?? 6,
        );
        feeds.time_ids =
          dtype === 'float32' ? new Tensor('float32', ids, [b, n]) : new Tensor('float16', toHalf(ids), [b, n]);
      }
      return feeds;
    }
    case 'mmdit':
      return {
        hidden_states: tensor(dtype, [b, arch.inChannels, shape.latentHeight, shape.latentWidth], seed + 1),
        encoder_hidden_states: tensor(dtype, [b, shape.textTokens, arch.jointAttentionDim], seed + 2),
        pooled_projections: tensor(dtype, [b, arch.pooledProjectionDim], seed + 3),
        timestep: new Tensor('float32', new Float32Array(b).fill(500), [b]),
      };
    case 'flux': {
      // Packed 2×2 latents as the pipeline feeds them, with FLUX's position ids (text 0, image row/column).
      const p = arch.patchSize;
      const [h, w] = [Math.ceil(shape.latentHeight / p), Math.ceil(shape.latentWidth / p)];
      const imgIds = Float32Array.from(
        { length: h * w * 3 },
        (_, i) => [0, Math.floor(i / 3 / w), Math.floor(i / 3) % w][i % 3]!,
      );
      const feeds: Record<string, Tensor> = {
        hidden_states: tensor(dtype, [b, h * w, arch.latentChannels * p * p], seed + 1),
        encoder_hidden_states: tensor(dtype, [b, shape.textTokens, arch.contextDim], seed + 2),
        pooled_projections: tensor(dtype, [b, arch.vecInDim], seed + 3),
        timestep: new Tensor('float32', new Float32Array(b).fill(0.5), [b]),
        img_ids: new Tensor('float32', imgIds, [h * w, 3]),
        txt_ids: new Tensor('float32', new Float32Array(shape.textTokens * 3), [shape.textTokens, 3]),
      };
      if (arch.guidanceEmbed) feeds.guidance = new Tensor('float32', new Float32Array(b).fill(3.5), [b]);
      return feeds;
    }
    case 'cross-dit':
      return {
        hidden_states: tensor(dtype, [b, arch.inChannels, shape.latentHeight, shape.latentWidth], seed + 1),
        timestep: new Tensor('float32', new Float32Array(b).fill(500), [b]),
        encoder_hidden_states: tensor(dtype, [b, shape.textTokens, arch.captionChannels], seed + 2),
      };
    case 'autoencoder-kl':
      return {
        latent_sample: tensor(dtype, [b, arch.latentChannels, shape.latentHeight, shape.latentWidth], seed + 4),
      };
    case 'clip-text': {
      const ids = new Int32Array(b * arch.maxTokens);
      for (let r = 0; r < b; r++) {
        ids[r * arch.maxTokens] = arch.vocab - 2; // BOS
        for (let i = 1; i < 8 && i < arch.maxTokens - 1; i++)
          ids[r * arch.maxTokens + i] = (seed + 31 * i) % (arch.vocab - 2);
        ids[r * arch.maxTokens + Math.min(8, arch.maxTokens - 1)] = arch.vocab - 1; // EOS: the highest id
      }
      return { input_ids: new Tensor('int32', ids, [b, arch.maxTokens]) };
    }
  }
}

export interface SessionOptions {
  provider: ProviderId;
  /** Intra-op threads; default: onnxruntime's choice (one per physical core). */
  threads?: number;
  /** Spin-wait in the intra-op pool (onnxruntime's default: on); off on a busy machine. */
  spinning?: boolean;
}

export async function openSession(path: string, o: SessionOptions): Promise<InferenceSession> {
  return createSession(path, {
    providers: [o.provider],
    ...(o.threads ? { threads: o.threads } : {}),
    ...(o.spinning !== undefined ? { spinning: o.spinning } : {}),
    logSeverity: 3,
  });
}
