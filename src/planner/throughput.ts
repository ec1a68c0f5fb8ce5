/**
 * The best way to run a workload on a device for volume, as the strategy ladder decides it: its
 * rung's strategy and the batch (1–8, or the one asked for) with the most images per hour.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { Basis } from '../cost/calibration.ts';
import type { Strategy } from '../cost/memory.ts';
import type { WorkloadInput } from '../cost/workload.ts';
import { type Establishment, establish, type RunContext } from './ladder.ts';

export { BATCHES, contextOptions, type RunContext } from './ladder.ts';

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

/**
 * The ladder's answer as a throughput: `input.batch` set = that batch only; otherwise the batch with
 * the most images per hour that fits (comfortable before tight). Where nothing runs, `fits` is false
 * with the first rung's strategy and batch, 0 images per hour and unbounded seconds per image.
 */
export function bestThroughput(device: Device, input: WorkloadInput, ctx: RunContext = {}): Throughput {
  return throughputOf(establish(device, input, ctx));
}

/** A ladder's answer as a throughput (its chosen rung, or the first one with nothing running). */
export function throughputOf(l: Establishment): Throughput {
  const r = l.chosen ?? l.rungs[0]!;
  return {
    fits: l.chosen !== null,
    strategy: r.step.strategy,
    batch: r.batch,
    basis: r.basis,
    secondsPerImage: l.chosen ? r.secondsPerImage : Infinity,
    imagesPerHour: l.chosen ? r.imagesPerHour : 0,
    peakDeviceBytes: r.peakDeviceBytes,
    peakHostBytes: r.peakHostBytes,
    usableBytes: r.usableBytes,
  };
}
