/**
 * The onnxruntime Backend: a model folder in the ONNX export layout (src/runner/model-folder.ts)
 * run by onnxruntime-node. Same maths as diffusers' StableDiffusionPipeline around the graphs:
 * latents / scaling_factor into the decoder; SDXL gets both encoders' penultimate hidden states
 * side by side, the pooled projection and the micro-conditioning time ids.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { defaultThreads, type InferenceSession, ortVersion } from '../../ort/session.ts';
import { asFloat32, floatTensor, inputType, numberTensor, type Tensor } from '../../ort/tensor.ts';
import { sessionThreads, type ThreadPlan, threadPlan } from '../../ort/threads.ts';
import { RunnerError } from '../errors.ts';
import { hashModelFolder, type OpenModel, openModelFolder } from '../model-folder.ts';
import type {
  Backend,
  DenoiseCall,
  LatentGeometry,
  LoadedModel,
  LoadOptions,
  ModelFileHash,
  ModelIdentity,
  RuntimeRecord,
  TextEmbedding,
} from '../ports.ts';

/** Run a graph; a failure inside onnxruntime (out of memory, a kernel missing) becomes one line naming the part. */
async function runPart(
  part: string,
  s: InferenceSession,
  feeds: Record<string, Tensor>,
): Promise<InferenceSession.OnnxValueMapType> {
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

function feedName(session: InferenceSession, name: string): void {
  if (!session.inputNames.includes(name)) throw new RunnerError('bad-model', `model input "${name}" is missing`);
}

/** The penultimate layer when the export has `hidden_states.N` outputs (SDXL uses it), else the last. */
function hiddenOutput(s: InferenceSession, penultimate: boolean): string {
  if (!penultimate) return 'last_hidden_state';
  const layers = s.outputNames.flatMap((n) => (/^hidden_states\.(\d+)$/.exec(n) ? [Number(n.split('.')[1])] : []));
  // Without per-layer outputs the last layer stands in (documented limitation).
  return layers.length >= 2 ? `hidden_states.${Math.max(...layers) - 1}` : 'last_hidden_state';
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A loaded ONNX model folder. `open` is the checked folder with its sessions (tests adjust its static shapes). */
export class OrtModel implements LoadedModel {
  readonly runtime: RuntimeRecord;

  /** The conditioning feeds of the last denoise call: a batch feeds the same text every step. */
  private feeds: {
    text: readonly TextEmbedding[];
    ehs: Tensor;
    data: Float32Array;
    extra: Record<string, Tensor>;
  } | null = null;

  constructor(
    readonly open: OpenModel,
    threads: number,
    /** The intra-op pool its sessions were opened with, and why (`loadOrtModel`). */
    readonly threading: ThreadPlan | null = null,
  ) {
    this.runtime = {
      engine: 'onnxruntime-node',
      version: ortVersion(),
      providers: [...open.providers],
      threads,
      node: process.version,
    };
  }

  get name() {
    return this.open.name;
  }
  get scheduler() {
    return this.open.scheduler;
  }
  get providers() {
    return this.open.providers;
  }
  get geometry(): LatentGeometry {
    const m = this.open;
    return {
      channels: m.latentChannels,
      vaeScale: m.vaeScale,
      latentMultiple: m.latentMultiple,
      fixedLatent: m.fixedLatent,
    };
  }

  /**
   * Weights (the graphs' file sizes) plus the larger of two tensors no onnxruntime CPU run avoids:
   * one attention head's scores at the latent resolution (tokens² float32, and its softmax: both
   * live at once; the VAE's mid block attends there, SD UNets too) and the decoder's last
   * full-resolution convolution (input and output, `block_out_channels[0]` channels). Measured on
   * the tiny example at 256×256 (16 384 latent tokens): 11 GB peak, above this bound's 2.2 GB as a
   * lower bound must be (its UNet has 2 heads × 2 guided rows at that resolution).
   */
  minimumBytes(width: number, height: number): number {
    const m = this.open;
    const tokens = (width / m.vaeScale) * (height / m.vaeScale);
    const attention = tokens * tokens * 4 * 2;
    const conv = this.firstVaeChannels * width * height * 4 * 2;
    return this.weightBytes + Math.max(attention, conv);
  }

  private get weightBytes(): number {
    let total = 0;
    for (const c of ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'])
      for (const f of ['model.onnx', 'model.onnx_data']) {
        try {
          total += statSync(join(this.open.dir, c, f)).size;
        } catch {
          // Not part of this export.
        }
      }
    return total;
  }

  private get firstVaeChannels(): number {
    try {
      const cfg = JSON.parse(readFileSync(join(this.open.dir, 'vae_decoder', 'config.json'), 'utf8')) as {
        block_out_channels?: unknown;
      };
      const c = Array.isArray(cfg.block_out_channels) ? Number(cfg.block_out_channels[0]) : NaN;
      return Number.isFinite(c) && c > 0 ? c : 128;
    } catch {
      // Every published SD VAE starts at 128 channels.
      return 128;
    }
  }

  identify(cache: readonly ModelFileHash[] = []): Promise<ModelIdentity> {
    return hashModelFolder(this.open.dir, cache);
  }

  private async encodeWith(
    s: InferenceSession,
    ids: number[],
    output: string,
  ): Promise<InferenceSession.OnnxValueMapType> {
    const out = await runPart('text encoder', s, {
      input_ids: numberTensor(inputType(s, 'input_ids'), ids, [1, ids.length]),
    });
    if (!out[output]) throw new RunnerError('bad-model', `text encoder returned no ${output}`);
    return out;
  }

  async encodeText(text: string, negative: boolean): Promise<TextEmbedding> {
    const m = this.open;
    const te1 = m.sessions.text_encoder;
    const { ids, truncated } = m.tokenizer.encode(text);
    if (!m.sdxl) {
      const out = await this.encodeWith(te1, ids, 'last_hidden_state');
      return { tokens: asFloat32(out.last_hidden_state!).slice(), pooled: null, truncated };
    }
    const te2 = m.sessions.text_encoder_2!;
    const enc2 = m.sdxl.tokenizer2.encode(text);
    const o1 = hiddenOutput(te1, true);
    const o2 = hiddenOutput(te2, true);
    const a = asFloat32((await this.encodeWith(te1, ids, o1))[o1]!);
    const out2 = await this.encodeWith(te2, enc2.ids, o2);
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
      return { tokens: new Float32Array(emb.length), pooled: new Float32Array(pooled.length), truncated: 0 };
    return { tokens: emb, pooled, truncated: Math.max(truncated, enc2.truncated) };
  }

  private conditioning(call: DenoiseCall) {
    if (this.feeds?.text === call.text) return this.feeds;
    const m = this.open;
    const unet = m.sessions.unet;
    const rows = call.rows;
    const data = concat(call.text.map((e) => e.tokens));
    const width = call.text[0]!.tokens.length / m.tokenizer.maxLength;
    const ehs = floatTensor(inputType(unet, 'encoder_hidden_states'), data, [rows, m.tokenizer.maxLength, width]);
    const extra: Record<string, Tensor> = {};
    if (m.sdxl) {
      const pooled = concat(call.text.map((e) => e.pooled!));
      extra.text_embeds = floatTensor(inputType(unet, 'text_embeds'), pooled, [rows, pooled.length / rows]);
      // Micro-conditioning: original size, crop origin (0, 0), target size — all the recipe's size.
      const ids = [call.height, call.width, 0, 0, call.height, call.width];
      extra.time_ids = floatTensor(
        inputType(unet, 'time_ids'),
        Float32Array.from({ length: rows * 6 }, (_, k) => ids[k % 6]!),
        [rows, 6],
      );
    }
    this.feeds = { text: call.text, ehs, data, extra };
    return this.feeds;
  }

  async denoise(call: DenoiseCall): Promise<Float32Array> {
    const m = this.open;
    const unet = m.sessions.unet;
    for (const n of ['sample', 'timestep', 'encoder_hidden_states']) feedName(unet, n);
    const { rows, h, w } = call;
    const C = m.latentChannels;
    const per = C * h * w;
    const sampleType = inputType(unet, 'sample');
    const tType = inputType(unet, 'timestep');
    const tMeta = unet.inputMetadata.find((x) => x.name === 'timestep');
    const tScalar = tMeta?.isTensor === true && tMeta.shape.length === 0;
    const { ehs, data, extra } = this.conditioning(call);
    // A UNet exported with a fixed batch gets its rows in groups of that size (rows are independent).
    const group = m.unetBatch ?? rows;
    if (rows % group !== 0)
      throw new RunnerError(
        'bad-model',
        `the unet was exported for batches of ${group}; ${rows} rows (batch ${call.images}${rows !== call.images ? ' × 2 for guidance' : ''}) do not divide into them: use --batch 1`,
      );
    const feedsPer = (from: number, n: number): Record<string, Tensor> => {
      if (n === rows) return { encoder_hidden_states: ehs, ...extra };
      const slice = (name: string, tensor: Tensor, d: Float32Array) => {
        const width = d.length / rows;
        return floatTensor(inputType(unet, name), d.subarray(from * width, (from + n) * width), [
          n,
          ...tensor.dims.slice(1),
        ]);
      };
      const out: Record<string, Tensor> = { encoder_hidden_states: slice('encoder_hidden_states', ehs, data) };
      for (const [name, tensor] of Object.entries(extra)) out[name] = slice(name, tensor, asFloat32(tensor));
      return out;
    };
    const parts: Float32Array[] = [];
    for (let from = 0; from < rows; from += group) {
      const out = await runPart('unet', unet, {
        sample: floatTensor(sampleType, call.sample.subarray(from * per, (from + group) * per), [group, C, h, w]),
        timestep: tScalar
          ? numberTensor(tType, [call.timestep], [])
          : numberTensor(tType, Array(group).fill(call.timestep), [group]),
        ...feedsPer(from, group),
      });
      if (!out.out_sample) throw new RunnerError('bad-model', 'unet returned no out_sample');
      parts.push(asFloat32(out.out_sample));
    }
    return parts.length === 1 ? parts[0]! : concat(parts);
  }

  async decode(latent: Float32Array, h: number, w: number): Promise<Float32Array> {
    const m = this.open;
    const vae = m.sessions.vae_decoder;
    const z = latent.map((v) => v / m.scalingFactor);
    const dec = await runPart('vae decoder', vae, {
      latent_sample: floatTensor(inputType(vae, 'latent_sample'), z, [1, m.latentChannels, h, w]),
    });
    const img = dec.sample;
    if (!img) throw new RunnerError('bad-model', 'vae_decoder returned no sample');
    const dims = img.dims;
    const H = h * m.vaeScale;
    const W = w * m.vaeScale;
    if (dims[1] !== 3 || dims[2] !== H || dims[3] !== W)
      throw new RunnerError('bad-model', `vae_decoder returned [${dims.join(', ')}], expected [1, 3, ${H}, ${W}]`);
    return asFloat32(img);
  }

  close(): Promise<void> {
    this.feeds = null;
    return this.open.close();
  }
}

/** How busy this machine is when a model loads: the 1-minute load average and the cores. */
export interface MachineLoad {
  load1: number;
  cores: number;
}

const machineLoad = (): MachineLoad => ({ load1: loadavg()[0]!, cores: availableParallelism() });

/**
 * Load a model folder on onnxruntime (every file checked, every graph loaded, before any image).
 * Its sessions' intra-op pool follows the machine's load as `bench`'s does (src/ort/threads.ts):
 * on a busy machine fewer threads and no spinning, which otherwise burns the other processes' time
 * slices; `opts.threads` is kept as given. `machine` is a seam for tests (default: this machine now).
 */
export async function loadOrtModel(
  dir: string,
  opts: Partial<LoadOptions> = {},
  machine: MachineLoad = machineLoad(),
): Promise<OrtModel> {
  const providers = [...(opts.providers ?? ['cpu'])];
  const plan = threadPlan(machine.load1, machine.cores, opts.threads);
  const { threads, spinning } = sessionThreads(plan, opts.threads);
  const open = await openModelFolder(dir, providers, threads, spinning);
  return new OrtModel(open, threads ?? defaultThreads(), { ...plan, threads: threads ?? defaultThreads() });
}

export const ortBackend: Backend = {
  name: 'onnxruntime',
  load: (source, opts) => loadOrtModel(source, opts),
};
