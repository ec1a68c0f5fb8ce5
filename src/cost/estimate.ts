/**
 * The estimate: a workload on a device with a strategy and a runtime → memory per phase, the three
 * device-memory figures, host RAM, time per step and per image, and whether it fits. `auto` picks
 * the fastest strategy that fits. Pure.
 */

import { cpuDevice } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import { WorkloadError } from '../catalog/errors.ts';
import { breakdown, type ComponentBreakdown } from './breakdown.ts';
import { appliesTo, type Basis, type Calibration, calibrateTime } from './calibration.ts';
import type { ModelConstants, Runtime } from './constants.ts';
import { estimateMemory, type MemoryEstimate, STRATEGIES, type Strategy } from './memory.ts';
import { estimateTime, type TimeEstimate } from './time.ts';
import { type UsableMemory, usableDeviceMemory } from './usable.ts';
import type { Workload } from './workload.ts';

export type StrategyChoice = Strategy | 'auto';

const TYPICAL_HOST = cpuDevice({ model: 'typical desktop CPU (assumed)', cores: 8, clockGHz: 4, simd: { avx2: true } });

export interface StrategyOutcome {
  strategy: Strategy;
  fits: boolean;
  memory: MemoryEstimate;
  time: TimeEstimate;
  /** `measured here` when the time is scaled by a calibration measured on the compute device. */
  basis: Basis;
}

export interface Estimate {
  workload: Workload;
  device: Device;
  runtime: Runtime['id'];
  usable: UsableMemory;
  parts: ComponentBreakdown[];
  /** The chosen strategy's outcome. */
  chosen: StrategyOutcome;
  /** Every strategy evaluated, for explanations ("model offload would fit at 3× the time"). */
  alternatives: StrategyOutcome[];
  /** The calibration the chosen outcome was scaled by, if any. */
  calibration: Calibration | null;
}

export interface EstimateOptions {
  strategy?: StrategyChoice;
  runtime?: Runtime['id'];
  /** The CPU device used by the `cpu` strategy (default: the device itself when it is a CPU). */
  host?: Device;
  ramGiB?: number;
  /** Cost-model constants (default MODEL_CONSTANTS); the fitting script passes candidates here. */
  constants?: ModelConstants;
  /** Per-phase measured/predicted ratios of one device (`genready bench`); applied when that device computes. */
  calibration?: Calibration;
}

function outcome(
  w: Workload,
  parts: ComponentBreakdown[],
  device: Device,
  strategy: Strategy,
  opts: EstimateOptions,
  usable: UsableMemory,
): StrategyOutcome {
  const memory = estimateMemory(w, parts, strategy, opts.constants, usable.bytes);
  // Without a known host, the CPU strategy runs on a typical desktop CPU (8 cores, AVX2), said as assumed.
  const computeDevice = strategy === 'cpu' ? (opts.host ?? (device.backend === 'cpu' ? device : TYPICAL_HOST)) : device;
  const predicted = estimateTime(w, parts, computeDevice, strategy, opts.runtime ?? 'pytorch', opts.constants);
  const calibrated = appliesTo(opts.calibration, computeDevice.id, w.model.id);
  const time = calibrated ? calibrateTime(predicted, opts.calibration!, w.batch) : predicted;
  const ram = opts.ramGiB !== undefined ? opts.ramGiB * 2 ** 30 : Infinity;
  const hostFits = memory.peakHostBytes <= ram;
  const deviceFits = strategy === 'cpu' ? true : memory.peakDeviceBytes <= usable.bytes;
  return { strategy, fits: deviceFits && hostFits, memory, time, basis: calibrated ? 'measured here' : 'estimated' };
}

export function estimate(w: Workload, device: Device, opts: EstimateOptions = {}): Estimate {
  const parts = breakdown(w);
  const usable = usableDeviceMemory(device, opts.ramGiB !== undefined ? { ramGiB: opts.ramGiB } : {});
  const isCpu = device.backend === 'cpu';
  const candidates: Strategy[] = isCpu ? ['cpu'] : STRATEGIES.filter((s) => s !== 'cpu' || opts.host);
  const alternatives = candidates.map((s) => outcome(w, parts, device, s, opts, usable));
  const choice = opts.strategy ?? 'auto';
  let chosen: StrategyOutcome | undefined;
  if (choice === 'auto') {
    const fitting = alternatives.filter((a) => a.fits).sort((a, b) => a.time.secondsPerImage - b.time.secondsPerImage);
    chosen = fitting[0] ?? alternatives[0];
  } else {
    if (isCpu && choice !== 'cpu')
      throw new WorkloadError('bad-strategy', `${device.name} is a CPU: only --strategy cpu (or auto) applies`);
    chosen = alternatives.find((a) => a.strategy === choice) ?? outcome(w, parts, device, choice, opts, usable);
  }
  const calibration = chosen!.basis === 'measured here' ? opts.calibration! : null;
  return {
    workload: w,
    device,
    runtime: opts.runtime ?? 'pytorch',
    usable,
    parts,
    chosen: chosen!,
    alternatives,
    calibration,
  };
}
