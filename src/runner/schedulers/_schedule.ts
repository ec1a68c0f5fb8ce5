/**
 * The noise schedule shared by every sampler: training betas → cumulative alphas → sigmas, the
 * inference timestep spacings, Karras sigmas and sigma → timestep interpolation. Mirrors diffusers'
 * scheduler maths (huggingface/diffusers src/diffusers/schedulers/scheduling_euler_discrete.py and
 * siblings) including its float32 rounding where it shifts results: betas, cumulative products and
 * sigma tables are float32 there, so each value is rounded with Math.fround like torch rounds it.
 */
import type { SchedulerConfig, Spacing } from './types.ts';

export type { Spacing };

const f = Math.fround;

/** torch.linspace(start, end, steps, dtype=float32): the first half counts up from start, the second down from end. */
export function linspaceF32(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 1) {
    out[0] = f(start);
    return out;
  }
  const step = f((end - start) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? f(f(start) + f(step * i)) : f(f(end) - f(step * (steps - i - 1)));
  return out;
}

/** numpy.linspace in float64. */
export function linspace(start: number, end: number, steps: number): number[] {
  if (steps === 1) return [start];
  const step = (end - start) / (steps - 1);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(start + i * step);
  out[steps - 1] = end;
  return out;
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function betasFor(c: SchedulerConfig): Float64Array {
  if (c.trainedBetas) return Float64Array.from(c.trainedBetas, f);
  switch (c.betaSchedule) {
    case 'linear':
      return linspaceF32(c.betaStart, c.betaEnd, c.numTrainTimesteps);
    case 'scaled_linear':
      return linspaceF32(Math.sqrt(c.betaStart), Math.sqrt(c.betaEnd), c.numTrainTimesteps).map((b) => f(b * b));
    case 'squaredcos_cap_v2': {
      // Nichol & Dhariwal's cosine schedule, capped at 0.999 (diffusers betas_for_alpha_bar).
      const abar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      const out = new Float64Array(c.numTrainTimesteps);
      for (let i = 0; i < c.numTrainTimesteps; i++) {
        out[i] = f(Math.min(1 - abar((i + 1) / c.numTrainTimesteps) / abar(i / c.numTrainTimesteps), 0.999));
      }
      return out;
    }
  }
}

/** Rescale so the last timestep has zero SNR (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps Are Flawed"). */
function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const sqrtAbar = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    acc = f(acc * f(1 - betas[i]!));
    sqrtAbar[i] = f(Math.sqrt(acc));
  }
  const first = sqrtAbar[0]!;
  const last = sqrtAbar[n - 1]!;
  const abar = sqrtAbar.map((s) => f(f((s - last) * f(first / (first - last))) ** 2));
  const out = new Float64Array(n);
  out[0] = f(1 - abar[0]!);
  for (let i = 1; i < n; i++) out[i] = f(1 - f(abar[i]! / abar[i - 1]!));
  return out;
}

/** Cumulative products of (1 − β) over the training timesteps (float32, sequential like torch.cumprod). */
export function alphasCumprod(c: SchedulerConfig): Float64Array {
  let betas = betasFor(c);
  if (c.rescaleBetasZeroSnr) betas = rescaleZeroTerminalSnr(betas);
  const out = new Float64Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc = f(acc * f(1 - betas[i]!));
    out[i] = acc;
  }
  // A zero terminal SNR would make the last sigma infinite; diffusers uses 2^-24 instead.
  if (c.rescaleBetasZeroSnr) out[out.length - 1] = 2 ** -24;
  return out;
}

/** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) for every training timestep, ascending in t. */
export function trainingSigmas(acp: Float64Array): Float64Array {
  return acp.map((a) => f(Math.sqrt(f(f(1 - a) / a))));
}

/** numpy.interp(x, [0, 1, …, n−1], ys) for x within [0, n−1]. */
export function interpIndex(x: number, ys: ArrayLike<number>): number {
  const n = ys.length;
  if (x <= 0) return ys[0]!;
  if (x >= n - 1) return ys[n - 1]!;
  const lo = Math.floor(x);
  const w = x - lo;
  // numpy evaluates slope*(x−xp[lo]) + fp[lo]
  return (ys[lo + 1]! - ys[lo]!) * w + ys[lo]!;
}

/**
 * Inference timesteps, descending, as float values. `linspace` keeps fractions (Euler interpolates
 * sigmas between training steps); integer-timestep samplers round them themselves.
 */
export function spacedTimesteps(spacing: Spacing, steps: number, numTrain: number, offset: number): number[] {
  if (spacing === 'linspace') return linspace(0, numTrain - 1, steps).reverse();
  if (spacing === 'leading') {
    const ratio = Math.floor(numTrain / steps);
    return Array.from({ length: steps }, (_, i) => roundHalfEven(i * ratio) + offset).reverse();
  }
  const ratio = numTrain / steps;
  const out: number[] = [];
  for (let t = numTrain; t > 0; t -= ratio) out.push(roundHalfEven(t) - 1);
  return out;
}

/** Karras et al. 2022 (EDM) sigmas: evenly spaced in σ^(1/ρ), ρ = 7, from σ_max down to σ_min. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return linspace(0, 1, steps).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** The (fractional) training timestep whose log-sigma interpolates to this sigma. */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const n = logSigmas.length;
  // Last index whose log-sigma is ≤ log σ (log sigmas ascend with t), clipped so lo+1 exists.
  let lo = 0;
  for (let i = 0; i < n; i++) if (logSigma - logSigmas[i]! >= 0) lo = i;
  lo = Math.min(lo, n - 2);
  const low = logSigmas[lo]!;
  const high = logSigmas[lo + 1]!;
  const w = Math.min(1, Math.max(0, (low - logSigma) / (low - high)));
  return (1 - w) * lo + w * (lo + 1);
}
