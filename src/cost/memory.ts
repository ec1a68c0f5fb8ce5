/**
 * Memory per phase for an execution strategy: what the device must hold (weights resident in that
 * phase + the phase's activation peak), and the three figures a person can compare against tools:
 * the allocator's peak (torch.cuda.max_memory_allocated), what the caching allocator reserves at
 * peak (max_memory_reserved) and what the device shows (nvidia-smi, with the runtime context).
 */

import type { ComponentBreakdown } from './breakdown.ts';
import { MODEL_CONSTANTS, type ModelConstants } from './constants.ts';
import { isIdle, type Phase } from './types.ts';
import type { Workload } from './workload.ts';

export type Strategy = 'gpu' | 'model-offload' | 'sequential-offload' | 'cpu';
export const STRATEGIES: readonly Strategy[] = ['gpu', 'model-offload', 'sequential-offload', 'cpu'];

export interface PhaseMemory {
  phase: Phase;
  /** Weights on the device during this phase. */
  weightBytes: number;
  /** Activation peak of the phase (largest component forward, attention workspace included). */
  activationBytes: number;
  /** Allocated peak in this phase = weights + activations. */
  allocatedBytes: number;
  /** Components that run in this phase. */
  components: string[];
}

export interface MemoryEstimate {
  strategy: Strategy;
  phases: PhaseMemory[];
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  peakDeviceBytes: number;
  /** Host RAM the strategy needs (process baseline + weights kept or staged on the host + CPU activations). */
  peakHostBytes: number;
  /** Sum of all weights (the load size). */
  totalWeightBytes: number;
  /**
   * What the run needs on the device at its peak: allocated + the allocator's fixed reserve + the
   * runtime context. The fit and its grade are judged on this, not on `peakDeviceBytes`, which also
   * counts the cached blocks PyTorch would give back before failing.
   */
  peakRequiredBytes: number;
  /** Cached allocator blocks in `peakDeviceBytes` beyond what is required (released under pressure). */
  allocatorCacheBytes: number;
}

/**
 * How far the memory model may be off, as a fraction of the measured figure: the p90 of the absolute
 * memory error over every published row `genready validate` compares (0.193 on 65 rows when this was
 * last set, 2026-12-03; test/cost/fit-grade.test.ts recomputes it and fails if validate drifts away from this figure).
 */
export const MEMORY_ERROR_P90 = 0.19;

/** How safely a run fits: `tight` = within the memory model's p90 error of what is available. */
export type FitGrade = 'comfortable' | 'tight' | 'does-not-fit';
export const FIT_GRADES: readonly FitGrade[] = ['comfortable', 'tight', 'does-not-fit'];

/**
 * The grade of needing `neededBytes` where `availableBytes` are usable. Tight when the real need,
 * if the model underestimates it by its p90 error, would pass what is available.
 */
export function fitGrade(neededBytes: number, availableBytes: number, error = MEMORY_ERROR_P90): FitGrade {
  if (neededBytes > availableBytes) return 'does-not-fit';
  return neededBytes * (1 + error) > availableBytes ? 'tight' : 'comfortable';
}

/** The worse of two grades (device and host memory both have to hold). */
export function worseGrade(a: FitGrade, b: FitGrade): FitGrade {
  return FIT_GRADES[Math.max(FIT_GRADES.indexOf(a), FIT_GRADES.indexOf(b))]!;
}

const PHASES: readonly Phase[] = ['text-encoding', 'denoising', 'vae-decode'];

const largestLayer = new WeakMap<ComponentBreakdown, number>();

/**
 * Largest single op's weights among those that run: what sequential offload must have on the device
 * at once (once per component). Its hooks move a layer's weights when the layer runs, so weights
 * that are loaded but never run (a VAE's encoder in text-to-image) never reach the device.
 */
function largestLayerBytes(c: ComponentBreakdown): number {
  let b = largestLayer.get(c);
  if (b === undefined) {
    const perParam = c.weightBytes / Math.max(1, c.parameters + c.buffers);
    b = c.ops.reduce((m, o) => (isIdle(o) ? m : Math.max(m, o.params * perParam)), 0);
    largestLayer.set(c, b);
  }
  return b;
}

/**
 * The activations that make PyTorch's caching allocator grow: freed blocks are reused for tensors no
 * larger than them, but a decoder's stages produce ever larger tensors (each upsampling doubles the
 * bytes), so the segments of earlier stages stay reserved beside the last one. Attention scores are
 * the same size in every layer and are reused, so only the activations without them count.
 */
export function growthBytes(w: Pick<Workload, 'attention'>, inPhase: readonly ComponentBreakdown[]): number {
  return inPhase.reduce((m, c) => Math.max(m, Math.min(c.activationBytes[w.attention], c.activationBytes.flash)), 0);
}

/**
 * From the allocator's peak to what the caching allocator reserves and what the device shows. When
 * that would exceed the device (`capacityBytes`), the allocator releases its cached blocks and retries
 * rather than failing, so what it holds falls back to about what is allocated.
 */
export function deviceFigures(
  allocatedBytes: number,
  growth: number,
  K: ModelConstants = MODEL_CONSTANTS,
  capacityBytes = Infinity,
): { reservedBytes: number; deviceBytes: number } {
  const grown = allocatedBytes + K.reservedActivationFactor * growth + K.reservedFixedBytes;
  const reservedBytes = grown + K.contextBytes <= capacityBytes ? grown : allocatedBytes + K.reservedFixedBytes;
  return { reservedBytes, deviceBytes: reservedBytes + K.contextBytes };
}

/** What `estimateMemory` needs of one phase, the same for every strategy and device. */
interface PhaseProfile {
  phase: Phase;
  components: string[];
  /** Weights of the phase's components; the largest layer among them, twice (sequential offload). */
  weightBytes: number;
  twoLayersBytes: number;
  activationBytes: number;
  growthBytes: number;
}

interface MemoryProfile {
  phases: PhaseProfile[];
  totalWeightBytes: number;
  largestComponentBytes: number;
  /** Activations held in RAM when the CPU runs it (the largest component's). */
  cpuActivationBytes: number;
}

/**
 * The strategy- and device-independent sums of a breakdown under an attention kernel, once per
 * breakdown: an estimate asks for the memory of every strategy on every device a ladder tries.
 */
const profiles = new WeakMap<readonly ComponentBreakdown[], Partial<Record<Workload['attention'], MemoryProfile>>>();

function memoryProfile(parts: readonly ComponentBreakdown[], attention: Workload['attention']): MemoryProfile {
  let byKernel = profiles.get(parts);
  if (!byKernel) profiles.set(parts, (byKernel = {}));
  return (byKernel[attention] ??= {
    phases: PHASES.map((phase) => {
      const inPhase = parts.filter((c) => c.phase === phase);
      return {
        phase,
        components: inPhase.map((c) => c.name),
        weightBytes: inPhase.reduce((s, c) => s + c.weightBytes, 0),
        // two layers in flight: the one computing and the next being copied
        twoLayersBytes: 2 * inPhase.reduce((m, c) => Math.max(m, largestLayerBytes(c)), 0),
        activationBytes: inPhase.reduce((m, c) => Math.max(m, c.activationBytes[attention]), 0),
        growthBytes: growthBytes({ attention }, inPhase),
      };
    }),
    totalWeightBytes: parts.reduce((s, c) => s + c.weightBytes, 0),
    largestComponentBytes: parts.reduce((m, c) => Math.max(m, c.weightBytes), 0),
    cpuActivationBytes: Math.max(...parts.map((c) => c.activationBytes[attention])),
  });
}

export function estimateMemory(
  w: Workload,
  parts: readonly ComponentBreakdown[],
  strategy: Strategy,
  K: ModelConstants = MODEL_CONSTANTS,
  capacityBytes = Infinity,
): MemoryEstimate {
  const profile = memoryProfile(parts, w.attention);
  const total = profile.totalWeightBytes;
  const onDevice = strategy !== 'cpu';
  // Per phase: its memory, and what the caching allocator reserves and the device shows in it. The
  // reservation peaks in the phase whose activations make the allocator grow most, which need not
  // be the phase with the largest allocated peak (a batch's VAE decode vs FLUX's denoiser).
  const phases: PhaseMemory[] = [];
  let peakAllocatedBytes = -Infinity;
  let peakReservedBytes = onDevice ? -Infinity : 0;
  let peakDeviceBytes = onDevice ? -Infinity : 0;
  for (const p of profile.phases) {
    const weights =
      strategy === 'gpu'
        ? total
        : strategy === 'model-offload'
          ? p.weightBytes
          : strategy === 'sequential-offload'
            ? p.twoLayersBytes
            : 0;
    const activationOnDevice = onDevice ? p.activationBytes : 0;
    const allocatedBytes = weights + activationOnDevice;
    phases.push({
      phase: p.phase,
      weightBytes: weights,
      activationBytes: activationOnDevice,
      allocatedBytes,
      components: [...p.components],
    });
    peakAllocatedBytes = Math.max(peakAllocatedBytes, allocatedBytes);
    if (onDevice) {
      const device = deviceFigures(allocatedBytes, p.growthBytes, K, capacityBytes);
      peakReservedBytes = Math.max(peakReservedBytes, device.reservedBytes);
      peakDeviceBytes = Math.max(peakDeviceBytes, device.deviceBytes);
    }
  }
  const peakRequiredBytes = onDevice ? peakAllocatedBytes + K.reservedFixedBytes + K.contextBytes : 0;
  // Host: weights pass through RAM when loading (the largest component at a time when all stay on the
  // device); offload keeps every weight on the host; CPU execution also holds the activations there.
  const cpuActivations = strategy === 'cpu' ? profile.cpuActivationBytes : 0;
  const peakHostBytes =
    K.hostBaselineBytes + (strategy === 'gpu' ? profile.largestComponentBytes : total) + cpuActivations;
  return {
    strategy,
    phases,
    peakAllocatedBytes,
    peakReservedBytes,
    peakDeviceBytes,
    peakHostBytes,
    totalWeightBytes: total,
    peakRequiredBytes,
    allocatorCacheBytes: Math.max(0, peakDeviceBytes - peakRequiredBytes),
  };
}
