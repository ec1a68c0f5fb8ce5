/**
 * Euler (Karras et al. 2022, Algorithm 2 with no churn), as diffusers' EulerDiscreteScheduler:
 * sigmas interpolated linearly between training steps, model input scaled by 1/sqrt(σ²+1).
 */
import { alphasCumprod, interpIndex, spacedTimesteps, trainingSigmas } from './_schedule.ts';
import type { Sampler, SchedulerConfig } from './types.ts';

/** The sigma-space schedule Euler and Euler ancestral share. */
export function eulerSchedule(
  c: SchedulerConfig,
  steps: number,
): { timesteps: number[]; sigmas: number[]; initNoiseSigma: number; acp: Float64Array } {
  const acp = alphasCumprod(c);
  const spacing = c.timestepSpacing ?? 'linspace';
  const timesteps = spacedTimesteps(spacing, steps, c.numTrainTimesteps, c.stepsOffset).map(Math.fround);
  const train = trainingSigmas(acp);
  const last = c.finalSigmasType === 'sigma_min' ? train[0]! : 0;
  const sigmas = [...timesteps.map((t) => interpIndex(t, train)), last].map(Math.fround);
  const max = Math.max(...sigmas);
  // 'leading' schedules start below the top training step, so the noise is scaled as a variance-preserving sample.
  const initNoiseSigma = spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  return { timesteps, sigmas, initNoiseSigma, acp };
}

/** x0 predicted from the model output at sigma σ. */
export function predictX0(c: SchedulerConfig, out: number, x: number, sigma: number): number {
  switch (c.predictionType) {
    case 'epsilon':
      return x - sigma * out;
    case 'v_prediction':
      return out * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
    case 'sample':
      return out;
  }
}

export function sigmaAddNoise(
  sigmas: readonly number[],
  original: Float32Array,
  noise: Float32Array,
  i: number,
): Float32Array {
  const s = sigmas[i]!;
  return original.map((x, k) => x + noise[k]! * s);
}

export function sigmaScaleInput(sigmas: readonly number[], sample: Float32Array, i: number): Float32Array {
  const d = Math.sqrt(sigmas[i]! ** 2 + 1);
  return sample.map((x) => x / d);
}

export function euler(c: SchedulerConfig, steps: number): Sampler {
  const { timesteps, sigmas, initNoiseSigma } = eulerSchedule(c, steps);
  return {
    timesteps,
    initNoiseSigma,
    scaleModelInput: (sample, i) => sigmaScaleInput(sigmas, sample, i),
    step(out, i, sample) {
      const sigma = sigmas[i]!;
      const dt = sigmas[i + 1]! - sigma;
      const next = new Float32Array(sample.length);
      for (let k = 0; k < sample.length; k++) {
        const x = sample[k]!;
        const derivative = (x - predictX0(c, out[k]!, x, sigma)) / sigma;
        next[k] = x + derivative * dt;
      }
      return next;
    },
    addNoise: (original, noise, i) => sigmaAddNoise(sigmas, original, noise, i),
  };
}
