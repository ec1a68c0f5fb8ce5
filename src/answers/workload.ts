/**
 * The workload part of a request (model, size, batch, precisions…), shared by estimate, sweep,
 * plan and gpus; and the same workload written as words (`gpus --for "sdxl 1024x1024 batch 4"`).
 */
import { resolveModel } from '../catalog/models.ts';
import type { ModelEntry, Role } from '../catalog/models.types.ts';
import { STRATEGIES } from '../cost/memory.ts';
import { PRECISION_NAMES, QUANT_BACKENDS } from '../cost/precision.ts';
import {
  ATTENTION_KERNELS,
  FRONTENDS,
  type Frontend,
  MAX_BATCH,
  MAX_SIDE,
  MAX_STEPS,
  sizeMultiple,
  type WorkloadInput,
} from '../cost/workload.ts';
import { ref, said, shown } from './errors.ts';
import { choice, contradiction, count, field, flag, isSize, Problem, parseSize, text, version } from './fields.ts';
import { fail } from './request.ts';

/** Longest model or device name a request may carry (the catalog's longest alias is under 60). */
export const NAME_MAX = 100;

export const workloadFields = {
  model: field(text(NAME_MAX)),
  width: field(count(MAX_SIDE)).optional(),
  height: field(count(MAX_SIDE)).optional(),
  size: field((v) => parseSize(v, MAX_SIDE)).optional(),
  batch: field(count(MAX_BATCH)).optional(),
  steps: field(count(MAX_STEPS)).optional(),
  precision: field(choice(PRECISION_NAMES)).optional(),
  textPrecision: field(choice(PRECISION_NAMES)).optional(),
  vaePrecision: field(choice(PRECISION_NAMES)).optional(),
  cfg: field(choice(['on', 'off'] as const)).optional(),
  attention: field(choice(ATTENTION_KERNELS)).optional(),
  vaeTiling: field(flag).optional(),
  controlnet: field(flag).optional(),
  /** The library that runs quantized weights (bnb, quanto, torchao, gguf, fp8-native, cast); default per format. */
  quantBackend: field(choice(QUANT_BACKENDS)).optional(),
  /** PyTorch release the run uses (`--torch-version 2.5`): the stack factors (MPS before 2.0) and what SDPA runs as on Intel GPUs. */
  torchVersion: field(version).optional(),
  /** ROCm release the run uses (`--rocm-version 6.4`): the stack factors (an architecture before its tuned kernels). */
  rocmVersion: field(version).optional(),
  /** What calls the pipeline (`--frontend app|script`): an app's per-image work, or a script's. */
  frontend: field(choice(FRONTENDS)).optional(),
  /** fp32 matmuls on TF32 tensor cores (`--tf32 on|off`); default: on in apps, PyTorch's default (off) in scripts. */
  tf32: field(choice(['on', 'off'] as const)).optional(),
  /** Let the ladder lower the weights to fp8 or 4-bit to fit (false: never). */
  quantize: field(flag).optional(),
  /** Pin the ladder (and estimate) to one placement; auto: the ladder's choice. */
  strategy: field(choice(['auto', ...STRATEGIES] as const)).optional(),
};

/** The parsed workload fields (model may be absent where the words of `gpus --for` name it). */
export interface WorkloadFields {
  model?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
  size?: [number, number] | undefined;
  batch?: number | undefined;
  steps?: number | undefined;
  precision?: string | undefined;
  textPrecision?: string | undefined;
  vaePrecision?: string | undefined;
  cfg?: 'on' | 'off' | undefined;
  attention?: string | undefined;
  vaeTiling?: boolean | undefined;
  controlnet?: boolean | undefined;
  quantBackend?: string | undefined;
  torchVersion?: number | undefined;
  rocmVersion?: number | undefined;
  frontend?: Frontend | undefined;
  tf32?: 'on' | 'off' | undefined;
  quantize?: boolean | undefined;
  strategy?: string | undefined;
}

/**
 * The cost model's input for parsed fields: contradictions refused, the model resolved, the size
 * checked against the model's latent grid (so the library never words a field error itself).
 */
export function workloadInput(f: WorkloadFields & { model: string | ModelEntry }): WorkloadInput & {
  model: ModelEntry;
} {
  if (f.size && f.width !== undefined)
    fail('size', contradiction('size', 'width', 'give a size, or a width and a height'));
  if (f.size && f.height !== undefined)
    fail('size', contradiction('size', 'height', 'give a size, or a width and a height'));
  const model = typeof f.model === 'string' ? resolveModel(f.model) : f.model;
  const [width, height] = f.size ?? [f.width, f.height];
  const k = sizeMultiple(model);
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (v === undefined || v % k === 0) continue;
    const lo = Math.max(k, Math.floor(v / k) * k);
    const at = f.size ? 'size' : name;
    const subject = f.size ? said`the ${name} in ${ref('size')}` : said`${ref(name)}`;
    fail(
      at,
      new Problem(
        'bad-size',
        [
          `${model.id} needs `,
          ...subject,
          ` to be a multiple of ${k} (latent grid); ${v} is not — try ${lo} or ${lo + k}`,
        ],
        true,
      ),
    );
  }
  const componentPrecision: Partial<Record<Role, string>> = {};
  if (f.textPrecision !== undefined) componentPrecision['text-encoder'] = f.textPrecision;
  if (f.vaePrecision !== undefined) componentPrecision.vae = f.vaePrecision;
  const input: WorkloadInput & { model: ModelEntry } = { model, componentPrecision };
  if (width !== undefined) input.width = width;
  if (height !== undefined) input.height = height;
  if (f.batch !== undefined) input.batch = f.batch;
  if (f.steps !== undefined) input.steps = f.steps;
  if (f.precision !== undefined) input.precision = f.precision;
  if (f.cfg !== undefined) input.cfg = f.cfg;
  if (f.attention !== undefined) input.attention = f.attention;
  if (f.vaeTiling !== undefined) input.vaeTiling = f.vaeTiling;
  if (f.controlnet !== undefined) input.controlnet = f.controlnet;
  if (f.quantBackend !== undefined) input.quantBackend = f.quantBackend;
  if (f.torchVersion !== undefined || f.rocmVersion !== undefined || f.frontend !== undefined || f.tf32 !== undefined) {
    input.software = {};
    if (f.torchVersion !== undefined) input.software.torch = f.torchVersion;
    if (f.rocmVersion !== undefined) input.software.rocm = f.rocmVersion;
    if (f.frontend !== undefined) input.software.frontend = f.frontend;
    if (f.tf32 !== undefined) input.software.tf32 = f.tf32 === 'on';
  }
  return input;
}

/**
 * A workload written as words: "sdxl 1024x1024 batch 4", "flux dev 1536x1024 fp8 steps 20".
 * Sizes, "batch N", "steps N", a precision and the words "controlnet"/"tiling" are recognised; what
 * is left names the model. Problems are worded for the field that carried the words.
 */
export function workloadWords(spec: string): WorkloadFields & { model: string } {
  const words = spec
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  const out: WorkloadFields = {};
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const lower = w.toLowerCase();
    const next = words[i + 1];
    if (isSize(lower)) out.size = parseSize(lower, MAX_SIDE);
    else if ((lower === 'batch' || lower === 'steps') && next !== undefined) {
      out[lower] = count(lower === 'batch' ? MAX_BATCH : MAX_STEPS)(next);
      i++;
    } else if (/^(batch|b)\d+$/.test(lower)) out.batch = count(MAX_BATCH)(lower.replace(/\D+/, ''));
    else if ((PRECISION_NAMES as readonly string[]).includes(lower)) out.precision = lower;
    else if (lower === 'controlnet') out.controlnet = true;
    else if (lower === 'tiling' || lower === 'vae-tiling') out.vaeTiling = true;
    else rest.push(w);
  }
  if (rest.length === 0)
    throw new Problem('bad-spec', [`${shown(spec)} names no model; e.g. "sdxl 1024x1024 batch 4"`]);
  return { ...out, model: rest.join(' ') };
}
