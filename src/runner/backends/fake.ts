/**
 * A deterministic Backend with no model files and no runtime: for tests of the loop and of stores,
 * and for runs that only exercise the machinery. Its "model" is a few closed-form functions of the
 * inputs, so the same spec always gives the same bytes, different prompts and seeds give different
 * images, and a run takes milliseconds. `delayMs` slows each denoiser call down (to widen a race
 * or let a test kill a run mid-way).
 */
import { createHash } from 'node:crypto';
import type {
  Backend,
  DenoiseCall,
  LatentGeometry,
  LoadedModel,
  LoadOptions,
  ModelIdentity,
  RuntimeRecord,
  TextEmbedding,
} from '../ports.ts';
import type { SchedulerConfig } from '../schedulers/types.ts';

const TOKENS = 4;
const WIDTH = 8;

/** SD 1.5's published scheduler config (diffusers' scheduler_config.json keys, parsed). */
const SCHEDULER: SchedulerConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  stepsOffset: 1,
  rescaleBetasZeroSnr: false,
};

export interface FakeOptions {
  /** Wait this long in every denoiser call. */
  delayMs?: number;
  /** Counts calls, for tests that check how much work was done. */
  calls?: { encode: number; denoise: number; decode: number };
}

class FakeModel implements LoadedModel {
  readonly scheduler = SCHEDULER;
  readonly geometry: LatentGeometry = { channels: 4, vaeScale: 8, latentMultiple: 1, fixedLatent: null };
  readonly runtime: RuntimeRecord;
  private closed = false;

  constructor(
    readonly name: string,
    readonly providers: readonly string[],
    threads: number,
    private readonly opts: FakeOptions,
  ) {
    this.runtime = { engine: 'fake', version: '1', providers: [...providers], threads, node: process.version };
  }

  async identify(): Promise<ModelIdentity> {
    const sha256 = createHash('sha256').update(`fake:${this.name}`).digest('hex');
    return { hash: sha256.slice(0, 10), files: [{ path: 'fake', bytes: 0, sha256, mtimeMs: 0 }] };
  }

  async encodeText(text: string, negative: boolean): Promise<TextEmbedding> {
    if (this.opts.calls) this.opts.calls.encode++;
    const d = createHash('sha256')
      .update(`${negative ? 'n' : 'p'}:${text}`)
      .digest();
    const tokens = Float32Array.from({ length: TOKENS * WIDTH }, (_, k) => (d[k % d.length]! - 127.5) / 127.5);
    return { tokens, pooled: null, truncated: 0 };
  }

  async denoise(call: DenoiseCall): Promise<Float32Array> {
    if (this.closed) throw new Error('fake backend: denoise after close');
    if (this.opts.calls) this.opts.calls.denoise++;
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    const per = call.sample.length / call.rows;
    const out = new Float32Array(call.sample.length);
    for (let r = 0; r < call.rows; r++) {
      const t = call.text[r]!.tokens;
      for (let k = 0; k < per; k++) {
        // A bounded function of the sample, the row's text and the timestep: "predicted noise".
        const x = call.sample[r * per + k]!;
        out[r * per + k] = Math.tanh(0.5 * x + 0.3 * t[k % t.length]! + call.timestep / 2000);
      }
    }
    return out;
  }

  async decode(latent: Float32Array, h: number, w: number): Promise<Float32Array> {
    if (this.opts.calls) this.opts.calls.decode++;
    const s = this.geometry.vaeScale;
    const C = this.geometry.channels;
    const H = h * s;
    const W = w * s;
    const out = new Float32Array(3 * H * W);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          // Nearest latent pixel, a channel mix, and a small in-cell gradient so the PNG is not flat.
          const l = ((c % C) * h + Math.floor(y / s)) * w + Math.floor(x / s);
          out[(c * H + y) * W + x] = Math.tanh(latent[l]! + ((x % s) - (y % s)) / (4 * s));
        }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A fake Backend; `source` is only a name (no files are read). */
export function fakeBackend(opts: FakeOptions = {}): Backend {
  return {
    name: 'fake',
    load: async (source: string, o: LoadOptions) =>
      new FakeModel(source.split(/[/\\]/).filter(Boolean).pop() ?? 'fake', o.providers, o.threads ?? 1, opts),
  };
}
