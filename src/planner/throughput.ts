/**
 * The best way to run a workload on a device for volume: the strategy the estimate picks and the
 * batch (1–8, or the one asked for) with the most images per hour.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { Basis, Calibration } from '../cost/calibration.ts';
import { type EstimateOptions, estimate } from '../cost/estimate.ts';
import type { Strategy } from '../cost/memory.ts';
import { makeWorkload, type WorkloadInput } from '../cost/workload.ts';

export const BATCHES = [1, 2, 4, 8] as const;

export interface Throughput {
  fits: boolean;
  strategy: Strategy;
  batch: number;
  basis: Basis;
  secondsPerImage: number;
  imagesPerHour: number;
  peakDeviceBytes: number;
  peakHostBytes: number;
  usableBytes: number;
}

export interface RunContext {
  host?: Device;
  ramGiB?: number;
  /** This machine's `genready bench` calibration; applied where its device computes. */
  calibration?: Calibration | null;
}

/** The estimate options a run context stands for. */
export function contextOptions(ctx: RunContext): EstimateOptions {
  return {
    ...(ctx.host ? { host: ctx.host } : {}),
    ...(ctx.ramGiB !== undefined ? { ramGiB: ctx.ramGiB } : {}),
    ...(ctx.calibration ? { calibration: ctx.calibration } : {}),
  };
}

/** `input.batch` set = that batch only; otherwise the batch with the most images per hour that fits. */
export function bestThroughput(device: Device, input: WorkloadInput, ctx: RunContext = {}): Throughput {
  const batches = input.batch !== undefined ? [input.batch] : BATCHES;
  let best: Throughput | null = null;
  for (const batch of batches) {
    const e = estimate(makeWorkload({ ...input, batch }), device, contextOptions(ctx));
    const c = e.chosen;
    const t: Throughput = {
      fits: c.fits,
      strategy: c.strategy,
      batch,
      basis: c.basis,
      secondsPerImage: c.time.secondsPerImage,
      imagesPerHour: c.time.imagesPerHour,
      peakDeviceBytes: c.memory.peakDeviceBytes,
      peakHostBytes: c.memory.peakHostBytes,
      usableBytes: e.usable.bytes,
    };
    // A larger batch must earn its memory: ≥ 2 % more images per hour.
    if (!best || (t.fits && (!best.fits || t.imagesPerHour > best.imagesPerHour * 1.02))) best = t;
    if (!c.fits) break;
  }
  return best!;
}
