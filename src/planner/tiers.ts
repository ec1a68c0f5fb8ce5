/**
 * The four usage tiers, defined by reference workloads the cost model evaluates (not by VRAM alone),
 * beside the practitioners' VRAM rule of thumb; the report says when the two disagree.
 */

import type { Strategy } from '../cost/memory.ts';
import type { WorkloadInput } from '../cost/workload.ts';

export type TierLevel = 1 | 2 | 3 | 4;

export const TIER_NAMES: Record<TierLevel, string> = {
  1: 'rough / verification (cloud-centric, low resolution)',
  2: 'light local generation (small sizes)',
  3: 'practical production (fixed composition, higher resolution, many variants)',
  4: 'full-scale mass production (high resolution, volume, stability)',
};

/** The rule of thumb: 6–8 GB light, 12 GB+ practical, 16 GB+ mass production. */
export function ruleOfThumbTier(vramGiB: number | null): TierLevel {
  if (vramGiB === null || vramGiB < 6) return 1;
  if (vramGiB < 12) return 2;
  if (vramGiB < 16) return 3;
  return 4;
}

export interface TierRequirement {
  label: string;
  workload: WorkloadInput;
  /** Strategies that count (on the device means gpu only). */
  strategies: Strategy[];
  /** Usable speed: at most this many seconds per image. */
  maxSecondsPerImage: number;
  /** Volume: at least this many images per hour. */
  minImagesPerHour?: number;
}

/**
 * Reference workloads; a tier is reached when every requirement of it (and of the tiers below) is met,
 * and a requirement is met only when the strategy ladder establishes it as stated: its precision and
 * tiling, one of its strategies, no lowered weights (src/planner/verdict.ts).
 */
export const TIER_REQUIREMENTS: Record<2 | 3 | 4, TierRequirement[]> = {
  2: [
    {
      label: 'SD 1.5 at 512² (25 steps) on the device',
      workload: { model: 'sd15', width: 512, height: 512, steps: 25 },
      strategies: ['gpu'],
      maxSecondsPerImage: 60,
    },
  ],
  3: [
    {
      label: 'SDXL at 1024² (25 steps) on the device with a ControlNet and VAE tiling',
      workload: { model: 'sdxl', width: 1024, height: 1024, steps: 25, controlnet: true, vaeTiling: true },
      // the denoiser and ControlNet stay on the device; text encoders may be swapped out (ComfyUI does)
      strategies: ['gpu', 'model-offload'],
      maxSecondsPerImage: 90,
    },
  ],
  4: [
    {
      label: 'SDXL at 1024² in batches of 4 on the device with VAE tiling, ≥ 120 images/hour',
      workload: { model: 'sdxl', width: 1024, height: 1024, steps: 25, batch: 4, vaeTiling: true },
      strategies: ['gpu', 'model-offload'],
      maxSecondsPerImage: 30,
      minImagesPerHour: 120,
    },
    {
      label: 'FLUX.1-dev in fp8 (fp8 text encoder) at 1024² (28 steps) on the device',
      workload: {
        model: 'flux1-dev',
        width: 1024,
        height: 1024,
        precision: 'fp8',
        componentPrecision: { 'text-encoder': 'fp8' },
      },
      strategies: ['gpu', 'model-offload'],
      maxSecondsPerImage: 120,
    },
  ],
};
