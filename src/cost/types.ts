/**
 * Cost-model domain types. An architecture is walked into a flat list of `Op`s for one forward of
 * one sample; memory and time are then pure functions of those ops, the workload and the device.
 */
import type { Precision, Role } from '../catalog/models.types.ts';

export type OpKind = 'conv' | 'linear' | 'attention' | 'norm' | 'elementwise' | 'embedding';

/**
 * How attention runs. naive, sliced and flash are the kernels a user asks for (`--attention`);
 * math is PyTorch's SDPA math path from 2.5 on, which materialises the scores in fp32 whatever the
 * inputs' type: a run gets it where SDPA has no fused kernel (src/cost/attention-run.ts).
 */
export type AttentionKernel = 'naive' | 'sliced' | 'flash' | 'math';

export interface AttentionShape {
  heads: number;
  queries: number;
  keys: number;
  headDim: number;
}

export interface Op {
  kind: OpKind;
  /** Dotted path, e.g. `down.1.res.0.conv1`. */
  name: string;
  params: number;
  /** Multiply-accumulates for one sample. FLOPs = 2 × MACs. */
  macs: number;
  /** Activation elements read + written by the op for one sample (bandwidth term of the roofline). */
  ioElems: number;
  /** Activation elements alive while the op runs, for one sample (held skips/residuals + inputs + outputs). */
  liveElems: number;
  attention?: AttentionShape;
  /** GroupNorm: its groups per sample (its statistics kernel runs one thread block per sample × group). */
  groups?: number;
  /** Kernels the op stands for when it is several eager kernels in a row (default 1): each costs a launch. */
  launches?: number;
  /**
   * A layer its library lists in `_keep_in_fp32_modules` (T5's FFN output `wo`, whose activations
   * overflow fp16): stored in float32 where the loader honours the list (src/cost/precision.ts).
   */
  keptFp32?: true;
  /**
   * An adaLN modulation layer (the timestep-conditioned shift/scale/gate projection of a DiT block).
   * diffusers' layerwise casting leaves these in the compute type (src/cost/precision.ts).
   */
  modulation?: true;
}

/**
 * Weights that are loaded but never run (a text-to-image VAE's encoder): no time, and sequential
 * offload never brings them to the device, since its hooks move a layer only when it runs.
 */
export const isIdle = (op: Pick<Op, 'macs' | 'ioElems'>): boolean => op.macs === 0 && op.ioElems === 0;

/** The pieces of one phase a person asks about. */
export const PHASES = ['text-encoding', 'denoising', 'vae-decode'] as const;
export type Phase = (typeof PHASES)[number];

/** Geometry a component is evaluated at. */
export interface Geometry {
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Latent grid (image / VAE downscale). */
  latentWidth: number;
  latentHeight: number;
  /** Text tokens per encoder, in pipeline order, and the joint context width the denoiser sees. */
  textTokens: number;
}

export interface ComponentCost {
  role: Role;
  name: string;
  parameters: number;
  /** Stored non-parameter elements (position tables). */
  buffers: number;
  precision: Precision;
  weightBytes: number;
  /** One forward for one sample. */
  macs: number;
  ops: Op[];
}
