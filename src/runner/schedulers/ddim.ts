/**
 * DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models") with η = 0: deterministic, as
 * diffusers' DDIMScheduler (default spacing "leading").
 */
import { alphasCumprod, linspace, roundHalfEven, spacedTimesteps } from './_schedule.ts';
import type { Sampler, SchedulerConfig } from './types.ts';

export function ddim(c: SchedulerConfig, steps: number): Sampler {
  if (steps > c.numTrainTimesteps)
    throw new RangeError(`DDIM steps (${steps}) cannot exceed the model's ${c.numTrainTimesteps} training timesteps`);
  const acp = alphasCumprod(c);
  const spacing = c.timestepSpacing ?? 'leading';
  const timesteps =
    spacing === 'linspace'
      ? linspace(0, c.numTrainTimesteps - 1, steps)
          .map(roundHalfEven)
          .reverse()
      : spacedTimesteps(spacing, steps, c.numTrainTimesteps, c.stepsOffset).map(Math.trunc);
  const finalAlpha = (c.setAlphaToOne ?? true) ? 1 : acp[0]!;
  const stride = Math.floor(c.numTrainTimesteps / steps);
  const clip = c.clipSample ?? true;
  const range = c.clipSampleRange ?? 1;

  return {
    timesteps,
    initNoiseSigma: 1,
    scaleModelInput: (sample) => sample,
    step(out, i, sample) {
      const t = timesteps[i]!;
      const prevT = t - stride;
      const a = acp[t]!;
      const aPrev = prevT >= 0 ? acp[prevT]! : finalAlpha;
      const sa = Math.sqrt(a);
      const sb = Math.sqrt(1 - a);
      const next = new Float32Array(sample.length);
      for (let k = 0; k < sample.length; k++) {
        const x = sample[k]!;
        const o = out[k]!;
        let x0: number;
        let eps: number;
        if (c.predictionType === 'epsilon') {
          x0 = (x - sb * o) / sa;
          eps = o;
        } else if (c.predictionType === 'v_prediction') {
          x0 = sa * x - sb * o;
          eps = sa * o + sb * x;
        } else {
          x0 = o;
          eps = (x - sa * x0) / sb;
        }
        if (clip) x0 = Math.min(range, Math.max(-range, x0));
        next[k] = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * eps;
      }
      return next;
    },
    addNoise(original, noise, i) {
      const a = acp[timesteps[i]!]!;
      return original.map((x, k) => Math.sqrt(a) * x + Math.sqrt(1 - a) * noise[k]!);
    },
  };
}
