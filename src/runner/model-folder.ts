/**
 * The model folder: the ONNX export layout of a Stable Diffusion pipeline (diffusers / optimum),
 *
 *   model_index.json            (optional)
 *   scheduler/scheduler_config.json
 *   tokenizer/vocab.json, merges.txt (or tokenizer.json), special_tokens_map.json, tokenizer_config.json
 *   text_encoder/model.onnx     input_ids → last_hidden_state, pooler_output
 *   unet/model.onnx             sample, timestep, encoder_hidden_states → out_sample
 *   vae_decoder/model.onnx      latent_sample → sample     (+ config.json: scaling_factor, block_out_channels)
 *
 * SDXL adds text_encoder_2/ (→ text_embeds, the pooled projection) and tokenizer_2/, and its UNet
 * takes text_embeds and time_ids; prompt embeddings are both encoders' penultimate hidden states
 * side by side (`hidden_states.N` outputs of the optimum export).
 *
 * `openModelFolder` checks all of it before any image is started: every file present and readable,
 * every graph loadable, input names, ranks and fixed sizes consistent between the parts. Each
 * problem is one RunnerError naming the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { createSession, type InferenceSession } from '../ort/session.ts';
import { RunnerError } from './errors.ts';
import type { SchedulerConfig } from './schedulers/types.ts';
import { type ClipTokenizer, loadClipTokenizer } from './tokenizer.ts';

export const COMPONENTS = ['text_encoder', 'unet', 'vae_decoder'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface ModelFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** What the pipeline needs to know about the folder, checked. */
export interface ModelLayout {
  dir: string;
  name: string;
  scheduler: SchedulerConfig;
  tokenizer: ClipTokenizer;
  latentChannels: number;
  /** Image pixels per latent pixel (2^(VAE levels − 1); 8 for every SD VAE). */
  vaeScale: number;
  /** Latent side must be a multiple of this (2^(UNet levels − 1)) when the UNet config says; else 1. */
  latentMultiple: number;
  /** Latents are multiplied by this after encoding; the decoder receives latents / scalingFactor. */
  scalingFactor: number;
  /** Text encoder width the UNet's cross-attention expects. */
  hiddenWidth: number | null;
  /** A UNet exported with a fixed batch (static shapes): rows are fed in groups of this size. */
  unetBatch: number | null;
  /** A UNet exported for one latent size [height, width]: the recipe must match it. */
  fixedLatent: [number, number] | null;
  /** SDXL layout: a second text encoder and tokenizer, pooled text embeds and time ids into the UNet. */
  sdxl: { tokenizer2: ClipTokenizer; timeIds: number; pooledWidth: number; forceZerosForEmptyPrompt: boolean } | null;
}

export interface OpenModel extends ModelLayout {
  sessions: Record<ComponentName, InferenceSession> & { text_encoder_2?: InferenceSession };
  providers: string[];
  close(): Promise<void>;
}

const schedulerJson = z.looseObject({
  num_train_timesteps: z.number().int().min(1).default(1000),
  beta_start: z.number().positive().default(0.0001),
  beta_end: z.number().positive().default(0.02),
  beta_schedule: z.enum(['linear', 'scaled_linear', 'squaredcos_cap_v2']).default('linear'),
  trained_betas: z.array(z.number()).nullish(),
  prediction_type: z.enum(['epsilon', 'v_prediction', 'sample']).default('epsilon'),
  timestep_spacing: z.enum(['linspace', 'leading', 'trailing']).optional(),
  steps_offset: z.number().int().min(0).default(0),
  rescale_betas_zero_snr: z.boolean().default(false),
  set_alpha_to_one: z.boolean().optional(),
  clip_sample: z.boolean().optional(),
  clip_sample_range: z.number().positive().optional(),
  sigma_min: z.number().positive().nullish(),
  sigma_max: z.number().positive().nullish(),
  lower_order_final: z.boolean().optional(),
  final_sigmas_type: z.enum(['zero', 'sigma_min']).optional(),
});

function readJsonFile(dir: string, rel: string): Record<string, unknown> {
  const p = join(dir, rel);
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new RunnerError(
      'bad-model',
      `model folder ${dir}: ${rel} is not readable JSON (${(err as Error).message.split('\n')[0]})`,
      { cause: err },
    );
  }
}

function optionalJson(dir: string, rel: string): Record<string, unknown> | null {
  return existsSync(join(dir, rel)) ? readJsonFile(dir, rel) : null;
}

export function readSchedulerConfig(dir: string): SchedulerConfig {
  const rel = 'scheduler/scheduler_config.json';
  const r = schedulerJson.safeParse(readJsonFile(dir, rel));
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new RunnerError('bad-model', `model folder ${dir}: ${rel}: ${i.path.join('.')}: ${i.message}`);
  }
  const j = r.data;
  const c: SchedulerConfig = {
    numTrainTimesteps: j.num_train_timesteps,
    betaStart: j.beta_start,
    betaEnd: j.beta_end,
    betaSchedule: j.beta_schedule,
    predictionType: j.prediction_type,
    stepsOffset: j.steps_offset,
    rescaleBetasZeroSnr: j.rescale_betas_zero_snr,
  };
  if (j.trained_betas) c.trainedBetas = j.trained_betas;
  if (j.timestep_spacing) c.timestepSpacing = j.timestep_spacing;
  if (j.set_alpha_to_one !== undefined) c.setAlphaToOne = j.set_alpha_to_one;
  if (j.clip_sample !== undefined) c.clipSample = j.clip_sample;
  if (j.clip_sample_range !== undefined) c.clipSampleRange = j.clip_sample_range;
  if (j.sigma_min != null) c.sigmaMin = j.sigma_min;
  if (j.sigma_max != null) c.sigmaMax = j.sigma_max;
  if (j.lower_order_final !== undefined) c.lowerOrderFinal = j.lower_order_final;
  if (j.final_sigmas_type !== undefined) c.finalSigmasType = j.final_sigmas_type;
  return c;
}

/** Files checked for presence, before anything is loaded. */
function requireFiles(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new RunnerError('bad-model', `model folder ${dir} does not exist`);
  const need = ['scheduler/scheduler_config.json', ...COMPONENTS.map((c) => `${c}/model.onnx`)];
  const missing = need.filter((f) => !existsSync(join(dir, f)));
  const tok = join(dir, 'tokenizer');
  if (
    !(existsSync(join(tok, 'vocab.json')) && existsSync(join(tok, 'merges.txt'))) &&
    !existsSync(join(tok, 'tokenizer.json'))
  )
    missing.push('tokenizer/vocab.json + merges.txt');
  if (existsSync(join(dir, 'text_encoder_2'))) {
    if (!existsSync(join(dir, 'text_encoder_2', 'model.onnx'))) missing.push('text_encoder_2/model.onnx');
    const tok2 = join(dir, 'tokenizer_2');
    if (
      !(existsSync(join(tok2, 'vocab.json')) && existsSync(join(tok2, 'merges.txt'))) &&
      !existsSync(join(tok2, 'tokenizer.json'))
    )
      missing.push('tokenizer_2/vocab.json + merges.txt');
  }
  if (missing.length) {
    throw new RunnerError(
      'bad-model',
      `model folder ${dir} is missing ${missing.join(', ')} (expected the ONNX export layout: text_encoder/, unet/, vae_decoder/, tokenizer/, scheduler/)`,
    );
  }
  for (const c of COMPONENTS) {
    if (statSync(join(dir, c, 'model.onnx')).size === 0)
      throw new RunnerError('bad-model', `model folder ${dir}: ${c}/model.onnx is empty`);
  }
}

type Meta = { name: string; type: string; shape: readonly (number | string)[] };

function tensorMeta(list: readonly InferenceSession.ValueMetadata[]): Meta[] {
  return list.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'non-tensor',
    shape: m.isTensor ? m.shape : [],
  }));
}

const fixed = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);

/** Check names, ranks and fixed sizes between the three graphs. */
export function checkShapes(
  dir: string,
  sessions: OpenModel['sessions'],
  tokenizer: ClipTokenizer,
  tokenizer2: ClipTokenizer | null,
): {
  latentChannels: number;
  hiddenWidth: number | null;
  timeIds: number;
  pooledWidth: number;
  unetBatch: number | null;
  fixedLatent: [number, number] | null;
} {
  const fail = (part: string, msg: string) => {
    throw new RunnerError('bad-model', `model folder ${dir}: ${part}/model.onnx: ${msg}`);
  };
  const io = (c: ComponentName | 'text_encoder_2') => {
    const s = sessions[c]!;
    return { inputs: tensorMeta(s.inputMetadata), outputs: tensorMeta(s.outputMetadata) };
  };
  const need = (
    c: ComponentName | 'text_encoder_2',
    list: Meta[],
    name: string,
    rank: number,
    kind: 'input' | 'output',
  ): Meta => {
    const m = list.find((x) => x.name === name);
    if (!m) fail(c, `has no ${kind} "${name}" (${kind}s: ${list.map((x) => x.name).join(', ') || 'none'})`);
    if (m!.shape.length !== rank)
      fail(c, `${kind} "${name}" has rank ${m!.shape.length}, expected ${rank} [${m!.shape.join(', ')}]`);
    return m!;
  };

  const te = io('text_encoder');
  const ids = need('text_encoder', te.inputs, 'input_ids', 2, 'input');
  if (!/^int(32|64)$/.test(ids.type)) fail('text_encoder', `input "input_ids" is ${ids.type}, expected int32 or int64`);
  const tokens = fixed(ids.shape[1]);
  if (tokens !== null && tokens !== tokenizer.maxLength)
    fail(
      'text_encoder',
      `takes ${tokens} tokens but the tokenizer pads to ${tokenizer.maxLength} (tokenizer/tokenizer_config.json model_max_length)`,
    );
  const hidden = need('text_encoder', te.outputs, 'last_hidden_state', 3, 'output');
  let teWidth = fixed(hidden.shape[2]);
  let pooledWidth = 0;
  if (sessions.text_encoder_2) {
    const te2 = io('text_encoder_2');
    const ids2 = need('text_encoder_2', te2.inputs, 'input_ids', 2, 'input');
    const tokens2 = fixed(ids2.shape[1]);
    if (tokens2 !== null && tokenizer2 && tokens2 !== tokenizer2.maxLength)
      fail('text_encoder_2', `takes ${tokens2} tokens but tokenizer_2 pads to ${tokenizer2.maxLength}`);
    const h2 = need('text_encoder_2', te2.outputs, 'last_hidden_state', 3, 'output');
    const pooled = need('text_encoder_2', te2.outputs, 'text_embeds', 2, 'output');
    pooledWidth = fixed(pooled.shape[1]) ?? 0;
    const w2 = fixed(h2.shape[2]);
    teWidth = teWidth !== null && w2 !== null ? teWidth + w2 : null;
  }

  const un = io('unet');
  const sample = need('unet', un.inputs, 'sample', 4, 'input');
  const ts = un.inputs.find((x) => x.name === 'timestep');
  if (!ts) fail('unet', 'has no input "timestep"');
  if (ts!.shape.length > 1) fail('unet', `input "timestep" has rank ${ts!.shape.length}, expected a scalar or [batch]`);
  const ehs = need('unet', un.inputs, 'encoder_hidden_states', 3, 'input');
  const out = need('unet', un.outputs, 'out_sample', 4, 'output');
  let timeIds = 0;
  if (sessions.text_encoder_2) {
    const te = need('unet', un.inputs, 'text_embeds', 2, 'input');
    const ti = need('unet', un.inputs, 'time_ids', 2, 'input');
    const p = fixed(te.shape[1]);
    if (p !== null && pooledWidth && p !== pooledWidth)
      fail('unet', `takes pooled text embeds of width ${p} but text_encoder_2 gives ${pooledWidth}`);
    pooledWidth = p ?? pooledWidth;
    timeIds = fixed(ti.shape[1]) ?? 6;
    // Base SDXL conditions on (original size, crop origin, target size); the refiner's 5 (aesthetic score) is not supported.
    if (timeIds !== 6)
      fail('unet', `takes ${timeIds} time ids; only SDXL base's 6 (original size, crop, target size) are supported`);
  }
  const known = [
    'sample',
    'timestep',
    'encoder_hidden_states',
    ...(sessions.text_encoder_2 ? ['text_embeds', 'time_ids'] : []),
  ];
  const extra = un.inputs.filter((x) => !known.includes(x.name));
  if (extra.length) {
    const hint = extra.some((x) => x.name === 'text_embeds' || x.name === 'time_ids')
      ? ' (an SDXL UNet needs text_encoder_2/ and tokenizer_2/ beside it)'
      : '';
    fail('unet', `needs inputs this pipeline does not provide: ${extra.map((x) => x.name).join(', ')}${hint}`);
  }
  const crossWidth = fixed(ehs.shape[2]);
  if (teWidth !== null && crossWidth !== null && teWidth !== crossWidth) {
    fail(
      'unet',
      `cross-attention takes width ${crossWidth} but text_encoder produces ${teWidth}: the parts come from different models`,
    );
  }
  const inCh = fixed(sample.shape[1]);
  const outCh = fixed(out.shape[1]);
  if (inCh !== null && outCh !== null && inCh !== outCh)
    fail('unet', `takes ${inCh} latent channels but returns ${outCh}`);

  const va = io('vae_decoder');
  const lat = need('vae_decoder', va.inputs, 'latent_sample', 4, 'input');
  need('vae_decoder', va.outputs, 'sample', 4, 'output');
  const vaeCh = fixed(lat.shape[1]);
  const latentChannels = inCh ?? vaeCh ?? 4;
  if (vaeCh !== null && vaeCh !== latentChannels)
    fail(
      'vae_decoder',
      `takes ${vaeCh} latent channels but the unet works on ${latentChannels}: the parts come from different models`,
    );
  const lh = fixed(sample.shape[2]);
  const lw = fixed(sample.shape[3]);
  return {
    latentChannels,
    hiddenWidth: crossWidth ?? teWidth,
    timeIds,
    pooledWidth,
    unetBatch: fixed(sample.shape[0]),
    fixedLatent: lh !== null && lw !== null ? [lh, lw] : null,
  };
}

async function loadSession(
  dir: string,
  c: ComponentName | 'text_encoder_2',
  providers: string[],
  threads?: number,
  spinning?: boolean,
): Promise<InferenceSession> {
  try {
    return await createSession(join(dir, c, 'model.onnx'), {
      providers,
      ...(threads ? { threads } : {}),
      ...(spinning !== undefined ? { spinning } : {}),
    });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!.slice(0, 300);
    throw new RunnerError(
      'bad-model',
      `model folder ${dir}: ${c}/model.onnx cannot be loaded (corrupt or not an ONNX model?): ${msg}`,
      { cause: err },
    );
  }
}

/** Everything but the graphs: configs, tokenizer, sizes. Cheap; used by `--dry-run`-like checks too. */
export function readLayout(dir: string): Omit<
  ModelLayout,
  'latentChannels' | 'hiddenWidth' | 'sdxl' | 'unetBatch' | 'fixedLatent'
> & {
  tokenizer2: ClipTokenizer | null;
} {
  requireFiles(dir);
  const scheduler = readSchedulerConfig(dir);
  let tokenizer: ClipTokenizer;
  let tokenizer2: ClipTokenizer | null = null;
  try {
    tokenizer = loadClipTokenizer(join(dir, 'tokenizer'));
    if (existsSync(join(dir, 'text_encoder_2'))) tokenizer2 = loadClipTokenizer(join(dir, 'tokenizer_2'));
  } catch (err) {
    if (err instanceof RunnerError)
      throw new RunnerError(err.code, `model folder ${dir}: ${err.message}`, { cause: err });
    throw err;
  }
  const vae = optionalJson(dir, 'vae_decoder/config.json');
  const unet = optionalJson(dir, 'unet/config.json');
  const vaeBlocks = Array.isArray(vae?.block_out_channels) ? vae.block_out_channels.length : 4;
  const unetBlocks = Array.isArray(unet?.block_out_channels) ? unet.block_out_channels.length : 1;
  // Published latent scales when an export carries no VAE config: SD 1.x/2.x 0.18215, SDXL 0.13025
  // (the scaling_factor of their diffusers vae/config.json).
  const scalingFactor = typeof vae?.scaling_factor === 'number' ? vae.scaling_factor : tokenizer2 ? 0.13025 : 0.18215;
  return {
    dir,
    name: basename(dir),
    scheduler,
    tokenizer,
    tokenizer2,
    vaeScale: 2 ** (vaeBlocks - 1),
    latentMultiple: 2 ** (unetBlocks - 1),
    scalingFactor,
  };
}

/**
 * Check the folder and load its graphs; throws one clear RunnerError on the first problem.
 * `threads`: onnxruntime's intra-op threads (default: one per core). The pixels do not depend on it
 * on the CPU provider (test/runner/pipeline.test.ts compares 1 thread with the default; 1–8 agreed
 * on the tiny model at 64×64 when this was written). `spinning`: whether its intra-op pool may
 * spin-wait (src/ort/threads.ts; default: onnxruntime's, on).
 */
export async function openModelFolder(
  dir: string,
  providers: string[] = ['cpu'],
  threads?: number,
  spinning?: boolean,
): Promise<OpenModel> {
  const { tokenizer2, ...layout } = readLayout(dir);
  const sessions = {} as OpenModel['sessions'];
  try {
    for (const c of COMPONENTS) sessions[c] = await loadSession(dir, c, providers, threads, spinning);
    if (tokenizer2) sessions.text_encoder_2 = await loadSession(dir, 'text_encoder_2', providers, threads, spinning);
    const { timeIds, pooledWidth, ...shapes } = checkShapes(dir, sessions, layout.tokenizer, tokenizer2);
    const index = optionalJson(dir, 'model_index.json');
    return {
      ...layout,
      ...shapes,
      // diffusers' SDXL default: an empty negative prompt is all-zero embeddings, not the encoded "".
      sdxl: tokenizer2
        ? { tokenizer2, timeIds, pooledWidth, forceZerosForEmptyPrompt: index?.force_zeros_for_empty_prompt !== false }
        : null,
      sessions,
      providers,
      close: async () => {
        for (const s of Object.values(sessions)) await s.release();
      },
    };
  } catch (err) {
    for (const s of Object.values(sessions)) await s.release().catch(() => {});
    throw err;
  }
}

/** Every regular file of the folder, relative, sorted (hidden files and folders skipped). */
export function modelFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

export interface HashCacheEntry extends ModelFile {
  mtimeMs: number;
}

/**
 * sha256 of every file of the model folder. Multi-gigabyte weights take seconds to hash, so a
 * previous run's hashes are reused while a file's size and modification time are unchanged.
 */
export async function hashModelFolder(
  dir: string,
  cache: readonly HashCacheEntry[] = [],
): Promise<{ files: HashCacheEntry[]; hash: string }> {
  const byPath = new Map(cache.map((e) => [e.path, e]));
  const files: HashCacheEntry[] = [];
  for (const rel of modelFiles(dir)) {
    const st = statSync(join(dir, rel));
    const old = byPath.get(rel);
    if (old && old.bytes === st.size && old.mtimeMs === st.mtimeMs) files.push(old);
    else files.push({ path: rel, bytes: st.size, mtimeMs: st.mtimeMs, sha256: await sha256File(join(dir, rel)) });
  }
  // One short hash for the whole folder, in the place A1111 puts a checkpoint's sha256[:10].
  const hash = createHash('sha256')
    .update(files.map((f) => `${f.path} ${f.sha256}\n`).join(''))
    .digest('hex')
    .slice(0, 10);
  return { files, hash };
}
