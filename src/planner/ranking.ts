/**
 * Devices ranked for one workload: how many images an hour each catalog GPU makes of it, with the
 * strategy and batch that get there and the device's capability tier. Tiers do not depend on the
 * workload, so they are computed once per device per process.
 */
import { listDevices } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import type { WorkloadInput } from '../cost/workload.ts';
import { hypotheticalMachine } from './machine.ts';
import { bestThroughput, type Throughput } from './throughput.ts';
import type { TierLevel } from './tiers.ts';
import { tierOf } from './verdict.ts';

const tiers = new Map<string, TierLevel>();

/** The capability tier of a catalog device in a typical desktop (or its own unified memory). */
export function deviceTier(d: Device): TierLevel {
  let t = tiers.get(d.id);
  if (t === undefined) {
    t = d.backend === 'cpu' ? 1 : tierOf(hypotheticalMachine(d)).level;
    tiers.set(d.id, t);
  }
  return t;
}

export interface RankedDevice extends Throughput {
  device: Device;
  tier: TierLevel;
}

/** Every GPU of the catalog (CPUs are not something to buy for this), most images per hour first. */
export function rankDevices(input: WorkloadInput, opts: { devices?: readonly Device[] } = {}): RankedDevice[] {
  const devices = (opts.devices ?? listDevices()).filter((d) => d.backend !== 'cpu');
  return devices
    .map((device) => {
      const m = hypotheticalMachine(device);
      return { device, tier: deviceTier(device), ...bestThroughput(device, input, { host: m.host, ramGiB: m.ramGiB }) };
    })
    .sort((a, b) => Number(b.fits) - Number(a.fits) || b.imagesPerHour - a.imagesPerHour);
}
