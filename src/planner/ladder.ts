/**
 * The strategy ladder: what to give up, in order, when a workload does not fit all on the device —
 * lower-precision weights first (costs a little quality, no time), decoding in tiles, then moving
 * models off the device between phases, streaming layers, and finally the CPU. Like ComfyUI's
 * low-VRAM modes, but decided before the run, with what each step costs.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { Precision } from '../catalog/models.types.ts';
import { estimate } from '../cost/estimate.ts';
import type { Strategy } from '../cost/memory.ts';
import { isQuantized, PRECISIONS } from '../cost/precision.ts';
import { makeWorkload, type WorkloadInput } from '../cost/workload.ts';
import { contextOptions, type RunContext } from './throughput.ts';

type Placement = { strategy: Strategy; vaeTiling: boolean };

export interface LadderStep {
  id:
    | 'on-device'
    | 'lower-precision'
    | 'vae-tiling'
    | 'model-offload'
    | 'offload-tiling'
    | 'sequential-offload'
    | 'cpu';
  label: string;
  strategy: Strategy;
  /** Weight format of the denoiser in this step (text encoders follow it down to fp8). */
  precision: Precision;
  vaeTiling: boolean;
  /** What this step costs in image quality, in a sentence. */
  quality: string;
  /** The same as a rank: 0 reference, 1 slight (fp8 weights or tile seams), 2 visible (4-bit), summed. */
  qualityCost: number;
}

/** Placements in the order they are given up for, each with its quality cost. */
const PLACEMENTS: readonly (Placement & {
  id: LadderStep['id'];
  label: string;
  quality: string;
  qualityCost: number;
})[] = [
  {
    id: 'on-device',
    label: 'all on the device',
    strategy: 'gpu',
    vaeTiling: false,
    quality: 'reference quality',
    qualityCost: 0,
  },
  {
    id: 'vae-tiling',
    label: 'all on the device + VAE tiling',
    strategy: 'gpu',
    vaeTiling: true,
    quality: 'faint seams are possible at tile borders',
    qualityCost: 1,
  },
  {
    id: 'model-offload',
    label: 'model offload (components move to the device in turn)',
    strategy: 'model-offload',
    vaeTiling: false,
    quality: 'reference quality; slower by the transfers',
    qualityCost: 0,
  },
  {
    id: 'offload-tiling',
    label: 'model offload + VAE tiling',
    strategy: 'model-offload',
    vaeTiling: true,
    quality: 'faint seams are possible at tile borders; slower by the transfers',
    qualityCost: 1,
  },
  {
    id: 'sequential-offload',
    label: 'sequential offload (layers streamed) + VAE tiling',
    strategy: 'sequential-offload',
    vaeTiling: true,
    quality: 'faint seams possible; many times slower',
    qualityCost: 1,
  },
];

/** Lower weight formats tried at each placement, with what they cost in quality. */
const LOWER: readonly { precision: Precision; quality: string; qualityCost: number }[] = [
  { precision: 'fp8', quality: 'fp8 weights: close to the reference, fine texture may shift', qualityCost: 1 },
  { precision: 'nf4', quality: '4-bit weights: visible drift in fine detail and prompt adherence', qualityCost: 2 },
];

/** How much slower than the fastest fitting rung a rung may be and still win on quality. */
export const LADDER_TIME_TOLERANCE = 1.25;

export interface LadderRung {
  step: LadderStep;
  fits: boolean;
  secondsPerImage: number;
  /** Seconds per image relative to the first rung. */
  slowdown: number;
  peakDeviceBytes: number;
  peakHostBytes: number;
}

export interface Ladder {
  rungs: LadderRung[];
  /**
   * The rung with the least quality cost among those that fit within 25 % of the fastest fitting
   * one (ties: the faster); null when nothing fits. Model offload at +1 % beats 4-bit weights.
   */
  chosen: LadderRung | null;
}

function rung(device: Device, input: WorkloadInput, ctx: RunContext, step: LadderStep): LadderRung {
  const lowered = step.precision !== makeWorkload(input).precision.denoiser;
  const w = makeWorkload({
    ...input,
    precision: step.precision,
    vaeTiling: step.vaeTiling || Boolean(input.vaeTiling),
    // Lower rungs shrink the text encoders too (the fp8 T5 is what 8–12 GB FLUX users load).
    ...(lowered ? { componentPrecision: { ...input.componentPrecision, 'text-encoder': 'fp8' } } : {}),
  });
  const e = estimate(w, device, { strategy: step.strategy, ...contextOptions(ctx) });
  return {
    step,
    fits: e.chosen.fits,
    secondsPerImage: e.chosen.time.secondsPerImage,
    slowdown: 1,
    peakDeviceBytes: e.chosen.memory.peakDeviceBytes,
    peakHostBytes: e.chosen.memory.peakHostBytes,
  };
}

/**
 * Every placement at the asked weight format; where that does not fit, the same placement with
 * fp8, then 4-bit weights. On a CPU, the one rung is the CPU in fp32.
 */
export function strategyLadder(device: Device, input: WorkloadInput, ctx: RunContext = {}): Ladder {
  const asked = makeWorkload(input).precision.denoiser;
  const rungs: LadderRung[] = [];
  const cpuStep: LadderStep = {
    id: 'cpu',
    label: 'on the CPU (fp32)',
    strategy: 'cpu',
    precision: 'fp32',
    vaeTiling: false,
    quality: 'reference quality; minutes per image',
    qualityCost: 0,
  };
  if (device.backend === 'cpu') rungs.push(rung(device, input, ctx, cpuStep));
  else {
    for (const p of PLACEMENTS) {
      let r = rung(device, input, ctx, {
        id: p.id,
        label: p.label,
        strategy: p.strategy,
        precision: asked,
        vaeTiling: p.vaeTiling,
        quality: p.quality,
        qualityCost: p.qualityCost,
      });
      rungs.push(r);
      for (const l of LOWER) {
        if (r.fits || isQuantized(asked) || PRECISIONS[l.precision].bytesPerParam >= PRECISIONS[asked].bytesPerParam)
          continue;
        const id = p.id === 'on-device' ? 'lower-precision' : p.id;
        r = rung(device, input, ctx, {
          id,
          label: `${p.label}, ${l.precision} weights`,
          strategy: p.strategy,
          precision: l.precision,
          vaeTiling: p.vaeTiling,
          quality: p.id === 'on-device' ? l.quality : `${l.quality}; ${p.quality}`,
          qualityCost: l.qualityCost + p.qualityCost,
        });
        rungs.push(r);
      }
    }
    if (ctx.host) rungs.push(rung(device, input, ctx, cpuStep));
  }
  const first = rungs[0]!.secondsPerImage;
  for (const r of rungs) r.slowdown = r.secondsPerImage / first;
  const fitting = rungs.filter((r) => r.fits);
  const fastest = Math.min(...fitting.map((r) => r.secondsPerImage));
  const chosen =
    fitting
      .filter((r) => r.secondsPerImage <= fastest * LADDER_TIME_TOLERANCE)
      .sort((a, b) => a.step.qualityCost - b.step.qualityCost || a.secondsPerImage - b.secondsPerImage)[0] ?? null;
  return { rungs, chosen };
}
