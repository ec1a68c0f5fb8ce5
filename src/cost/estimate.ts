/**
 * The estimate: a workload on a device with a strategy and a runtime → memory per phase, the three
 * device-memory figures, host RAM, time per step and per image, and whether it fits. `auto` picks
 * the fastest strategy that fits. Pure.
 */

import { cpuDevice } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import { WorkloadError } from '../catalog/errors.ts';
import { type AttentionRun, attentionRun } from './attention-run.ts';
import { breakdown, type ComponentBreakdown } from './breakdown.ts';
import { appliesTo, type Basis, type Calibration, calibrateTime } from './calibration.ts';
import type { ModelConstants, Runtime } from './constants.ts';
import { type FirstImage, firstImageCost } from './first-image.ts';
import {
  estimateMemory,
  type FitGrade,
  fitGrade,
  type MemoryEstimate,
  STRATEGIES,
  type Strategy,
  worseGrade,
} from './memory.ts';
import { estimateTime, type Forwards, forwardTimes, type TimeEstimate, timeFromForwards } from './time.ts';
import { type UsableMemory, usableDeviceMemory } from './usable.ts';
import type { Workload } from './workload.ts';

export type StrategyChoice = Strategy | 'auto';

const TYPICAL_HOST = cpuDevice({ model: 'typical desktop CPU (assumed)', cores: 8, clockGHz: 4, simd: { avx2: true } });

export interface StrategyOutcome {
  strategy: Strategy;
  fits: boolean;
  /**
   * `tight` when what the run needs (allocated + runtime context on the device, or the host RAM
   * offload and the CPU need) is within the memory model's p90 error of what is there.
   */
  fitGrade: FitGrade;
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
  /** Time to the first image of the chosen outcome (load, warm-up, first call), apart from its steady rate. */
  firstImage: FirstImage;
  /** The attention kernel the chosen outcome's compute device runs for the one asked. */
  attention: AttentionRun;
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

/**
 * Memo of the device-independent breakdown: the planner asks for the same workload on every device
 * and rung. Keyed by the model entry (object identity) and the workload's other fields.
 */
let breakdowns = new WeakMap<object, Map<string, ComponentBreakdown[]>>();

/** Every field of a workload but the model (the memo's outer key): times are memoised under it too. */
function workloadKey(w: Workload): string {
  const p = w.precision;
  return `${w.width}x${w.height}|${w.batch}|${w.steps}|${p.denoiser},${p['text-encoder']},${p.vae},${p.controlnet}|${w.passes}|${w.attention}|${w.vaeTiling}|${w.controlnet}|${w.quantBackend}|${JSON.stringify(w.software)}`;
}

/** `breakdown(w)`, computed once per distinct workload (bounded per model). */
export function breakdownOf(w: Workload): ComponentBreakdown[] {
  let byKey = breakdowns.get(w.model);
  if (!byKey) breakdowns.set(w.model, (byKey = new Map()));
  const key = workloadKey(w);
  let parts = byKey.get(key);
  if (!parts) {
    parts = breakdown(w);
    if (byKey.size > 512) byKey.clear();
    byKey.set(key, parts);
  }
  return parts;
}

/**
 * Memo of the forwards of a breakdown's components (one breakdown per distinct workload, see
 * `breakdownOf`) on a compute device under a runtime, with the shipped constants: the expensive part
 * of the time model, shared by every strategy; the ladder asks for it for many rungs and batches.
 * Kept lean (the time per strategy is cheap to assemble from it) since a grid over the catalog keeps
 * one per workload and device. Devices are held strongly only while their breakdown is memoised.
 */
let forwardMemo = new WeakMap<readonly ComponentBreakdown[], Map<Device, Partial<Record<Runtime['id'], Forwards>>>>();

/** Forget the memoised breakdowns and times (benchmarks measure a grid from a fresh memo). */
export function clearEstimateMemo(): void {
  breakdowns = new WeakMap();
  forwardMemo = new WeakMap();
}

function timeOf(
  w: Workload,
  parts: ComponentBreakdown[],
  d: Device,
  strategy: Strategy,
  runtime: Runtime['id'],
  K: ModelConstants | undefined,
): TimeEstimate {
  if (K) return estimateTime(w, parts, d, strategy, runtime, K);
  let byDevice = forwardMemo.get(parts);
  if (!byDevice) forwardMemo.set(parts, (byDevice = new Map()));
  let byRuntime = byDevice.get(d);
  if (!byRuntime) {
    // Bounded: devices made per request (a probed CPU, `--vram 24`) must not accumulate.
    if (byDevice.size > 1024) byDevice.clear();
    byDevice.set(d, (byRuntime = {}));
  }
  const forwards = (byRuntime[runtime] ??= forwardTimes(w, parts, d, runtime));
  return timeFromForwards(w, parts, forwards, d, strategy);
}

interface Fit {
  memory: MemoryEstimate;
  fits: boolean;
  fitGrade: FitGrade;
}

function fitOf(
  w: Workload,
  parts: ComponentBreakdown[],
  device: Device,
  strategy: Strategy,
  opts: EstimateOptions,
  usable: UsableMemory,
): Fit {
  const asRun = asRunOn(w, computeDeviceOf(device, strategy, opts), 'memory');
  const memory = estimateMemory(asRun, parts, strategy, opts.constants, usable.bytes);
  const ram = opts.ramGiB !== undefined ? opts.ramGiB * 2 ** 30 : Infinity;
  // On a CPU device the workload's memory is its RAM: the host figure is graded against the usable RAM.
  const hostGrade = fitGrade(memory.peakHostBytes, device.backend === 'cpu' ? Math.min(ram, usable.bytes) : ram);
  const deviceGrade = strategy === 'cpu' ? 'comfortable' : fitGrade(memory.peakRequiredBytes, usable.bytes);
  const hostFits = memory.peakHostBytes <= ram;
  const deviceFits = strategy === 'cpu' ? true : memory.peakDeviceBytes <= usable.bytes;
  const fits = deviceFits && hostFits;
  // The grade never says more than `fits` (a CPU device keeps its RAM-only check for the fit itself).
  const grade = fits ? worseGrade(deviceGrade, hostGrade === 'does-not-fit' ? 'tight' : hostGrade) : 'does-not-fit';
  return { memory, fits, fitGrade: grade };
}

/**
 * The workload with the attention kernel that runs on the compute device, for the time or the
 * memory model. The breakdown holds every kernel's activations, so `parts` stays that of the
 * workload as asked, and the memo of forwards (keyed by breakdown and device) stays right: the
 * kernel that runs is a function of the two.
 */
function asRunOn(w: Workload, computeDevice: Device, model: 'time' | 'memory'): Workload {
  const attention = attentionRun(w, computeDevice)[model];
  return attention === w.attention ? w : { ...w, attention };
}

/** The device a strategy computes on. Without a known host, the CPU strategy runs on a typical desktop CPU (8 cores, AVX2), said as assumed. */
function computeDeviceOf(device: Device, strategy: Strategy, opts: EstimateOptions): Device {
  return strategy === 'cpu' ? (opts.host ?? (device.backend === 'cpu' ? device : TYPICAL_HOST)) : device;
}

function timed(
  w: Workload,
  parts: ComponentBreakdown[],
  device: Device,
  strategy: Strategy,
  opts: EstimateOptions,
): { time: TimeEstimate; basis: Basis } {
  const computeDevice = computeDeviceOf(device, strategy, opts);
  const asRun = asRunOn(w, computeDevice, 'time');
  const predicted = timeOf(asRun, parts, computeDevice, strategy, opts.runtime ?? 'pytorch', opts.constants);
  const calibrated = appliesTo(opts.calibration, computeDevice.id, w.model.id);
  const time = calibrated ? calibrateTime(predicted, opts.calibration!, w.batch) : predicted;
  return { time, basis: calibrated ? 'measured here' : 'estimated' };
}

function outcome(
  w: Workload,
  parts: ComponentBreakdown[],
  device: Device,
  strategy: Strategy,
  opts: EstimateOptions,
  usable: UsableMemory,
): StrategyOutcome {
  const { memory, fits, fitGrade: grade } = fitOf(w, parts, device, strategy, opts, usable);
  return { strategy, fits, fitGrade: grade, memory, ...timed(w, parts, device, strategy, opts) };
}

/** Time of one strategy (with this machine's calibration where it applies), without its memory. */
export function estimateStrategyTime(
  w: Workload,
  device: Device,
  strategy: Strategy,
  opts: EstimateOptions = {},
): { time: TimeEstimate; basis: Basis } {
  return timed(w, breakdownOf(w), device, strategy, opts);
}

/**
 * Memory, fit and grade of one strategy without its time: the ladder times only the rungs that fit,
 * since the time model is the expensive part of an estimate.
 */
export function estimateFit(
  w: Workload,
  device: Device,
  strategy: Strategy,
  opts: EstimateOptions = {},
): Fit & { usable: UsableMemory } {
  const parts = breakdownOf(w);
  const usable = usableDeviceMemory(device, opts.ramGiB !== undefined ? { ramGiB: opts.ramGiB } : {});
  return { ...fitOf(w, parts, device, strategy, opts, usable), usable };
}

export function estimate(w: Workload, device: Device, opts: EstimateOptions = {}): Estimate {
  const parts = breakdownOf(w);
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
  const computeDevice = computeDeviceOf(device, chosen!.strategy, opts);
  return {
    workload: w,
    device,
    runtime: opts.runtime ?? 'pytorch',
    usable,
    parts,
    chosen: chosen!,
    alternatives,
    calibration,
    firstImage: firstImageCost(parts, computeDevice, chosen!.strategy, chosen!.time, w.batch, opts.constants),
    attention: attentionRun(w, computeDevice),
  };
}
