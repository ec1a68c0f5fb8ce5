/**
 * A workload: what a person wants made, normalised and validated. Defaults come from the model
 * entry; every rejection is a WorkloadError with a one-line message.
 */

import { WorkloadError } from '../catalog/errors.ts';
import { resolveModel } from '../catalog/models.ts';
import type { ModelEntry, Precision, Role } from '../catalog/models.types.ts';
import { isPrecision, PRECISION_NAMES, type QuantBackend, resolveQuantBackend } from './precision.ts';
import type { AttentionKernel } from './types.ts';

export const MAX_SIDE = 16384;
export const MAX_BATCH = 1024;
export const MAX_STEPS = 1000;
/** The kernels a run may ask for; `math` is only what a run gets (attention-run.ts). */
export const ATTENTION_KERNELS: readonly AttentionKernel[] = ['naive', 'sliced', 'flash'];

export interface WorkloadInput {
  model: string | ModelEntry;
  width?: number;
  height?: number;
  batch?: number;
  steps?: number;
  precision?: string;
  /** Per-role weight formats (text encoders, VAE, ControlNet); default: 16-bit compute type of the denoiser. */
  componentPrecision?: Partial<Record<Role, string>>;
  cfg?: 'on' | 'off' | boolean;
  attention?: string;
  vaeTiling?: boolean;
  controlnet?: boolean;
  /** Library running the quantized denoiser (`--quant-backend`); default: the format's usual one. */
  quantBackend?: string;
  /** Software versions where known (`--rocm-version`, `--torch-version`) and what drives the pipeline (`--frontend`). */
  software?: SoftwareStack;
}

/**
 * What calls the pipeline: an `app` (A1111, Forge, SD.Next, ComfyUI, SwarmUI, Fooocus, InvokeAI, Draw
 * Things), which also saves each image with its metadata, updates previews and runs its hooks, or a
 * `script` calling a library (diffusers, MLX) that returns the images. The default is an app.
 */
export const FRONTENDS = ['app', 'script'] as const;
export type Frontend = (typeof FRONTENDS)[number];

/**
 * The software around a run: release versions as numbers that order like the versions (versionNumber:
 * ROCm 6.4 → 6.04, PyTorch 2.10 → 2.1), and the frontend that calls the pipeline.
 */
export interface SoftwareStack {
  rocm?: number;
  torch?: number;
  frontend?: Frontend;
  /** fp32 matrix products on TF32 tensor cores (`torch.backends.cuda.matmul.allow_tf32`), where known. */
  tf32?: boolean;
}

/**
 * Whether fp32 matrix products run as TF32 (on GPUs that have it). Said by the run where known;
 * otherwise the apps turn it on at start-up (A1111 and Forge in `enable_tf32`, SD.Next), while a
 * script gets PyTorch's default: on before 1.12, off since (the 1.12 release turned
 * `allow_tf32` off for matmuls; cuDNN's convolutions kept it on).
 */
export function tf32Matmul(v: SoftwareStack): boolean {
  if (v.tf32 !== undefined) return v.tf32;
  if (v.frontend !== 'script') return true;
  return v.torch !== undefined && v.torch < 1.12;
}

/**
 * A release "major.minor[.patch]" (or a number written that way) as major + minor / 100, so that
 * 2.10 orders after 2.9 (2.09); the patch level is dropped. null when it is not a version.
 */
export function versionNumber(v: string | number): number | null {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?(?:\.\d{1,4})?$/.exec(String(v).trim());
  return m ? Number(m[1]) + Number(m[2] ?? 0) / 100 : null;
}

export interface Workload {
  model: ModelEntry;
  width: number;
  height: number;
  batch: number;
  steps: number;
  /** Weight format per role. */
  precision: Record<Role, Precision>;
  /** Denoiser passes per sampler step: 2 with classifier-free guidance, else 1. */
  passes: 1 | 2;
  attention: AttentionKernel;
  vaeTiling: boolean;
  controlnet: boolean;
  /** Library running the quantized denoiser; null for unquantized weights. */
  quantBackend: QuantBackend | null;
  software: SoftwareStack;
}

/** Image sides must be a multiple of this: VAE downscale × denoiser patch. */
export function sizeMultiple(m: ModelEntry): number {
  const downscale = 2 ** (m.vae.arch.blockOut.length - 1);
  const a = m.denoiser.arch;
  // UNets accept any latent size (diffusers forwards odd sizes to the upsamplers); patchified
  // transformers need whole patches.
  const patch = a.kind === 'unet' ? 1 : a.patchSize;
  return downscale * patch;
}

function positiveInt(name: string, v: number | undefined, fallback: number, max: number): number {
  const x = v ?? fallback;
  if (!Number.isFinite(x) || !Number.isInteger(x))
    throw new WorkloadError('bad-number', `--${name} must be a whole number, got ${v}`);
  if (x <= 0) throw new WorkloadError('bad-number', `--${name} must be positive, got ${x}`);
  if (x > max) throw new WorkloadError('bad-number', `--${name} ${x} is above the supported maximum ${max}`);
  return x;
}

function precisionOf(name: string, v: string): Precision {
  const p = v.toLowerCase();
  if (!isPrecision(p))
    throw new WorkloadError('bad-precision', `unsupported ${name} "${v}"; use one of ${PRECISION_NAMES.join(', ')}`);
  return p;
}

function softwareOf(v: SoftwareStack | undefined): SoftwareStack {
  const out: SoftwareStack = {};
  for (const k of ['rocm', 'torch'] as const) {
    const x = v?.[k];
    if (x === undefined) continue;
    if (!Number.isFinite(x) || x <= 0)
      throw new WorkloadError('bad-version', `--${k}-version must be a version such as 6.4, got ${x}`);
    out[k] = x;
  }
  if (v?.frontend !== undefined) {
    if (!FRONTENDS.includes(v.frontend))
      throw new WorkloadError('bad-frontend', `--frontend must be ${FRONTENDS.join(' or ')}, got ${v.frontend}`);
    out.frontend = v.frontend;
  }
  if (v?.tf32 !== undefined) out.tf32 = v.tf32;
  return out;
}

export function makeWorkload(input: WorkloadInput): Workload {
  const model = typeof input.model === 'string' ? resolveModel(input.model) : input.model;
  const d = model.defaults;
  const width = positiveInt('width', input.width, d.width, MAX_SIDE);
  const height = positiveInt('height', input.height, d.height, MAX_SIDE);
  const k = sizeMultiple(model);
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (v % k !== 0) {
      const lo = Math.max(k, Math.floor(v / k) * k);
      throw new WorkloadError(
        'bad-size',
        `${model.id} needs --${name} to be a multiple of ${k} (latent grid); ${v} is not — try ${lo} or ${lo + k}`,
      );
    }
  }
  const denoiser = precisionOf('precision', input.precision ?? d.precision);
  // Text encoders and the VAE default to the 16-bit (or fp32) compute type, not to a quantized format.
  const plain: Precision =
    denoiser === 'fp32'
      ? 'fp32'
      : denoiser === 'fp16' || denoiser === 'bf16'
        ? denoiser
        : d.precision === 'bf16'
          ? 'bf16'
          : 'fp16';
  const cp = input.componentPrecision ?? {};
  const precision: Record<Role, Precision> = {
    denoiser,
    'text-encoder': cp['text-encoder'] ? precisionOf('text-encoder precision', cp['text-encoder']) : plain,
    // The forced format answers fp16 overflow only: diffusers upcasts a VAE whose weights are fp16
    // (`vae.dtype == torch.float16 and force_upcast`); bf16 has fp32's range and decodes as it is.
    vae: cp.vae
      ? precisionOf('VAE precision', cp.vae)
      : plain === 'fp16' && model.vae.forcedPrecision
        ? model.vae.forcedPrecision
        : plain,
    controlnet: cp.controlnet ? precisionOf('ControlNet precision', cp.controlnet) : denoiser,
  };
  const cfgDefault = d.guidance.kind === 'cfg';
  const cfg = input.cfg === undefined ? cfgDefault : input.cfg === true || input.cfg === 'on';
  const attention = (input.attention ?? 'flash').toLowerCase();
  if (!(ATTENTION_KERNELS as readonly string[]).includes(attention)) {
    throw new WorkloadError(
      'bad-attention',
      `unknown attention kernel "${input.attention}"; use one of ${ATTENTION_KERNELS.join(', ')}`,
    );
  }
  if (input.controlnet && model.addons.length === 0) {
    throw new WorkloadError(
      'no-controlnet',
      `${model.id} has no ControlNet in the catalog (available for: sd15, sdxl)`,
    );
  }
  return {
    model,
    width,
    height,
    batch: positiveInt('batch', input.batch, 1, MAX_BATCH),
    steps: positiveInt('steps', input.steps, d.steps, MAX_STEPS),
    precision,
    passes: cfg ? 2 : 1,
    attention: attention as AttentionKernel,
    vaeTiling: input.vaeTiling ?? false,
    controlnet: input.controlnet ?? false,
    quantBackend: resolveQuantBackend(denoiser, input.quantBackend),
    software: softwareOf(input.software),
  };
}
