/**
 * Devices ranked for one workload: how many images an hour each catalog GPU makes of it on the rung
 * of the ladder that establishes it (never on a CPU fallback: a GPU that only the CPU would make work
 * does not establish the workload), with the batch, fit grade, capability tier and the host assumed
 * around it. Tiers do not depend on the workload, so they are computed once per device per process.
 */
import { listDevices } from '../catalog/devices.ts';
import type { Device, Segment } from '../catalog/devices.types.ts';
import { WorkloadError } from '../catalog/errors.ts';
import type { Basis } from '../cost/calibration.ts';
import type { FitGrade, Strategy } from '../cost/memory.ts';
import type { WorkloadInput } from '../cost/workload.ts';
import { ECONOMICS, wallPowerW } from './economics.ts';
import { type Establishment, establish, establishmentJson, type LadderPins } from './ladder.ts';
import { hypotheticalMachine, type Machine } from './machine.ts';
import { throughputOf } from './throughput.ts';
import type { TierLevel } from './tiers.ts';
import { tierOf } from './verdict.ts';

const tiers = new Map<string, TierLevel>();
const machines = new WeakMap<Device, Machine>();

/** The desktop a catalog card is judged in, built once per device (matching its name costs). */
function desktopFor(d: Device): Machine {
  let m = machines.get(d);
  if (!m) machines.set(d, (m = hypotheticalMachine(d)));
  return m;
}

/** The capability tier of a catalog device in a typical desktop (or its own unified memory). */
export function deviceTier(d: Device): TierLevel {
  let t = tiers.get(d.id);
  if (t === undefined) {
    t = d.backend === 'cpu' ? 1 : tierOf(desktopFor(d), { levelOnly: true }).level;
    tiers.set(d.id, t);
  }
  return t;
}

/** The machine each card is judged in: what a buyer needs beside it. */
export interface AssumedHost {
  ramGiB: number;
  cpu: string;
  /** Card board power + the host's share while generating, W; null without a board power figure. */
  wallPowerW: number | null;
  /** The host's share alone (CPU, board, RAM, fans, PSU losses), W. */
  hostPowerW: number;
}

export interface RankedDevice {
  device: Device;
  tier: TierLevel;
  /** Whether a GPU rung of the ladder establishes the workload on this card. */
  fits: boolean;
  fitGrade: FitGrade;
  /**
   * The chosen rung's strategy, batch and speed; a card that does not establish it shows its first
   * rung's strategy and batch, 0 images/hour and unbounded seconds per image (null in JSON).
   */
  strategy: Strategy;
  batch: number;
  basis: Basis;
  secondsPerImage: number;
  imagesPerHour: number;
  peakDeviceBytes: number;
  peakRequiredBytes: number;
  peakHostBytes: number;
  usableBytes: number;
  ladder: Establishment;
  host: AssumedHost;
}

/** Buyers' segments (`--segment`) and the catalog segments in each. */
export const SEGMENTS: Record<string, readonly Segment[]> = {
  consumer: ['consumer_desktop', 'consumer_laptop'],
  workstation: ['workstation'],
  datacenter: ['datacenter'],
  apple: ['apple_soc', 'apu_unified_memory'],
};

export function segmentDevices(devices: readonly Device[], segment: string): Device[] {
  const s = SEGMENTS[segment.toLowerCase()];
  if (!s)
    throw new WorkloadError(
      'bad-segment',
      `--segment must be one of ${Object.keys(SEGMENTS).join(', ')}, got "${segment}"`,
    );
  return devices.filter((d) => s.includes(d.segment));
}

/** Cards someone can buy: a GPU with a launch price in the catalog. */
export const purchasable = (d: Device) => d.backend !== 'cpu' && d.launchPriceUsd !== null;

export function rankOne(device: Device, input: WorkloadInput, pins: LadderPins = {}): RankedDevice {
  const m = desktopFor(device);
  // No host in the context: the ladder has no CPU rung, so a card is never ranked by its CPU fallback.
  const ladder = establish(device, input, { ramGiB: m.ramGiB }, pins);
  const r = ladder.chosen ?? ladder.rungs[0]!;
  return {
    device,
    tier: deviceTier(device),
    ...throughputOf(ladder),
    fitGrade: ladder.fitGrade,
    peakRequiredBytes: r.peakRequiredBytes,
    ladder,
    host: {
      ramGiB: m.ramGiB,
      cpu: m.host.name,
      wallPowerW: wallPowerW(device),
      hostPowerW: ECONOMICS.hostPowerW.value,
    },
  };
}

/** Every GPU of the catalog (CPUs are not something to buy for this), most images per hour first. */
export function rankDevices(
  input: WorkloadInput,
  opts: { devices?: readonly Device[]; pins?: LadderPins } = {},
): RankedDevice[] {
  const devices = (opts.devices ?? listDevices()).filter((d) => d.backend !== 'cpu');
  return devices
    .map((device) => rankOne(device, input, opts.pins))
    .sort((a, b) => Number(b.fits) - Number(a.fits) || (a.fits ? b.imagesPerHour - a.imagesPerHour : 0));
}

/** What `gpus` adds per card to its row: the rung, grade, reason and the host assumed. */
export function rankedJson(r: RankedDevice) {
  const v = establishmentJson(r.ladder);
  return {
    rung: v.rung,
    rungLabel: v.rungLabel,
    fitGrade: v.fitGrade,
    reason: v.reason,
    flags: v.flags,
    comfortableRung: v.comfortableRung,
    peakRequiredBytes: Math.round(r.peakRequiredBytes),
    host: r.host,
    verdict: v,
  };
}
