/**
 * Euler ancestral ("Euler a"), as diffusers' EulerAncestralDiscreteScheduler: an Euler step down to
 * σ_down, then fresh noise of scale σ_up, so that σ_down² + σ_up² = σ_next². The fresh noise comes
 * from the image's own seeded stream, continuing after its initial latent.
 */
import { eulerSchedule, predictX0, sigmaAddNoise, sigmaScaleInput } from './euler.ts';
import type { Sampler, SchedulerConfig } from './types.ts';

export function eulerAncestral(c: SchedulerConfig, steps: number): Sampler {
  // diffusers' ancestral sampler always ends at sigma 0.
  const { timesteps, sigmas, initNoiseSigma } = eulerSchedule({ ...c, finalSigmasType: 'zero' }, steps);
  return {
    timesteps,
    initNoiseSigma,
    scaleModelInput: (sample, i) => sigmaScaleInput(sigmas, sample, i),
    step(out, i, sample, noise) {
      if (c.predictionType === 'sample') throw new Error('Euler ancestral does not support prediction_type "sample"');
      const from = sigmas[i]!;
      const to = sigmas[i + 1]!;
      const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
      const down = Math.sqrt(to * to - up * up);
      const dt = down - from;
      const next = new Float32Array(sample.length);
      for (let k = 0; k < sample.length; k++) {
        const x = sample[k]!;
        next[k] = x + ((x - predictX0(c, out[k]!, x, from)) / from) * dt;
      }
      // The noise is drawn on every step, even the last (σ_up = 0), to keep the stream aligned with diffusers'.
      if (!noise) throw new Error('Euler ancestral needs a noise source');
      const z = noise();
      for (let k = 0; k < next.length; k++) next[k] = next[k]! + z[k]! * up;
      return next;
    },
    addNoise: (original, noise, i) => sigmaAddNoise(sigmas, original, noise, i),
  };
}
