/**
 * Sampler domain model. A sampler turns a denoiser's prediction into the next latent; its noise
 * schedule comes from the model folder's `scheduler/scheduler_config.json` (diffusers' keys), and
 * the sampler adds its own method and options, as diffusers' `from_config` does.
 */
/** How inference timesteps are spread over the training range (diffusers' `timestep_spacing`). */
export type Spacing = 'linspace' | 'leading' | 'trailing';

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  trainedBetas?: number[];
  predictionType: PredictionType;
  /** Absent: each sampler's diffusers default (Euler/DPM linspace, DDIM leading). */
  timestepSpacing?: Spacing;
  stepsOffset: number;
  rescaleBetasZeroSnr: boolean;
  /** DDIM: the "previous" alpha of the final step is 1 (true) or ᾱ_0. */
  setAlphaToOne?: boolean;
  clipSample?: boolean;
  clipSampleRange?: number;
  /** Karras range; absent: the training sigmas' ends. */
  sigmaMin?: number;
  sigmaMax?: number;
  /** DPM-Solver: first-order last step below 15 steps (diffusers default true). */
  lowerOrderFinal?: boolean;
  /** Last sigma: 0 (default) or the smallest training sigma. */
  finalSigmasType?: 'zero' | 'sigma_min';
}

/** One sampler instance set up for a number of steps; it keeps multistep history, so one per image batch. */
export interface Sampler {
  /** Timestep value the denoiser receives at each step, in order. */
  readonly timesteps: readonly number[];
  /** Scale of the initial noise (the first sigma for sigma-space samplers, 1 for DDIM). */
  readonly initNoiseSigma: number;
  /** Input scaling before the denoiser at step i (identity for alpha-space samplers). */
  scaleModelInput(sample: Float32Array, i: number): Float32Array;
  /** The latent after step i. `noise` draws fresh standard normal noise of the sample's length (ancestral samplers). */
  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: () => Float32Array): Float32Array;
  /** Forward-diffuse a clean sample to step i (img2img; also the reference harness). */
  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array;
}

export type SamplerFactory = (config: SchedulerConfig, steps: number) => Sampler;
