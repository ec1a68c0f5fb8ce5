/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models"), multistep second order with the midpoint update, as diffusers'
 * DPMSolverMultistepScheduler with algorithm_type "dpmsolver++". `karras: true` is the "DPM++ 2M
 * Karras" of AUTOMATIC1111: the same solver on Karras sigmas.
 */
import {
  alphasCumprod,
  interpIndex,
  karrasSigmas,
  linspace,
  roundHalfEven,
  sigmaToT,
  trainingSigmas,
} from './_schedule.ts';
import type { Sampler, SchedulerConfig } from './types.ts';

function schedule(c: SchedulerConfig, steps: number, karras: boolean): { timesteps: number[]; sigmas: number[] } {
  const acp = alphasCumprod(c);
  const train = trainingSigmas(acp);
  const n = c.numTrainTimesteps;
  const spacing = c.timestepSpacing ?? 'linspace';
  let timesteps: number[];
  if (spacing === 'linspace')
    timesteps = linspace(0, n - 1, steps + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, -1);
  else if (spacing === 'leading') {
    const ratio = Math.floor(n / (steps + 1));
    timesteps = Array.from({ length: steps + 1 }, (_, i) => i * ratio)
      .reverse()
      .slice(0, -1)
      .map((t) => t + c.stepsOffset);
  } else {
    const ratio = n / steps;
    timesteps = [];
    for (let t = n; t > 0; t -= ratio) timesteps.push(roundHalfEven(t) - 1);
  }
  let sigmas: number[];
  if (karras) {
    const logSigmas = Array.from(train, Math.log);
    sigmas = karrasSigmas(c.sigmaMin ?? train[0]!, c.sigmaMax ?? train[train.length - 1]!, steps);
    // Rounded to whole training steps, as diffusers does for every beta schedule but the cosine one.
    timesteps = sigmas.map((s) => {
      const t = sigmaToT(s, logSigmas);
      return c.betaSchedule === 'squaredcos_cap_v2' ? t : roundHalfEven(t);
    });
  } else {
    sigmas = timesteps.map((t) => interpIndex(t, train));
  }
  const last =
    c.finalSigmasType === 'sigma_min' ? Math.fround(Math.sqrt(Math.fround(Math.fround(1 - acp[0]!) / acp[0]!))) : 0;
  return { timesteps: timesteps.map(Math.trunc), sigmas: [...sigmas, last].map(Math.fround) };
}

/** α_t and σ_t of the variance-preserving process at noise level σ. */
function alphaSigma(sigma: number): [number, number] {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha];
}

export function dpmpp2m(c: SchedulerConfig, steps: number, karras = false): Sampler {
  const { timesteps, sigmas } = schedule(c, steps, karras);
  const finalZero = (c.finalSigmasType ?? 'zero') === 'zero';
  const lowerOrderFinal = c.lowerOrderFinal ?? true;
  // x0 predictions of the previous and current step.
  let prev: Float32Array | null = null;
  let lowerOrderNums = 0;

  const toX0 = (out: Float32Array, sample: Float32Array, i: number): Float32Array => {
    const [alpha, sigma] = alphaSigma(sigmas[i]!);
    if (c.predictionType === 'epsilon') return sample.map((x, k) => (x - sigma * out[k]!) / alpha);
    if (c.predictionType === 'v_prediction') return sample.map((x, k) => alpha * x - sigma * out[k]!);
    return out;
  };

  return {
    timesteps,
    initNoiseSigma: 1,
    scaleModelInput: (sample) => sample,
    step(out, i, sample) {
      const last = i === timesteps.length - 1;
      const firstOrderFinal = last && ((lowerOrderFinal && timesteps.length < 15) || finalZero);
      const x0 = toX0(out, sample, i);
      const [alphaT, sigmaT] = alphaSigma(sigmas[i + 1]!);
      const [alphaS0, sigmaS0] = alphaSigma(sigmas[i]!);
      // λ = log(α/σ); at σ = 0 it is +∞ and the update below reduces to x0 exactly.
      const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
      const lambdaS0 = Math.log(alphaS0) - Math.log(sigmaS0);
      const h = lambdaT - lambdaS0;
      const ratio = sigmaT / sigmaS0;
      const coef = alphaT * (Math.exp(-h) - 1);
      const next = new Float32Array(sample.length);
      if (prev === null || lowerOrderNums < 1 || firstOrderFinal) {
        for (let k = 0; k < next.length; k++) next[k] = ratio * sample[k]! - coef * x0[k]!;
      } else {
        const [alphaS1, sigmaS1] = alphaSigma(sigmas[i - 1]!);
        const lambdaS1 = Math.log(alphaS1) - Math.log(sigmaS1);
        const r0 = (lambdaS0 - lambdaS1) / h;
        for (let k = 0; k < next.length; k++) {
          const d1 = (1 / r0) * (x0[k]! - prev[k]!);
          next[k] = ratio * sample[k]! - coef * x0[k]! - 0.5 * coef * d1;
        }
      }
      prev = x0;
      if (lowerOrderNums < 2) lowerOrderNums++;
      return next;
    },
    addNoise(original, noise, i) {
      const [alpha, sigma] = alphaSigma(sigmas[i]!);
      return original.map((x, k) => alpha * x + sigma * noise[k]!);
    },
  };
}
