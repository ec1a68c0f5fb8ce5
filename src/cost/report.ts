/**
 * The stable JSON contract of an estimate (documented in the README). Field names here are API:
 * add, never rename.
 */

import type { ComponentBreakdown } from './breakdown.ts';
import { MODEL_CONSTANTS } from './constants.ts';
import type { Estimate } from './estimate.ts';
import type { Workload } from './workload.ts';

export const ESTIMATE_SCHEMA_VERSION = 1;

export function workloadJson(w: Workload) {
  return {
    model: w.model.id,
    width: w.width,
    height: w.height,
    batch: w.batch,
    steps: w.steps,
    cfg: w.passes === 2 ? 'on' : 'off',
    precision: w.precision,
    attention: w.attention,
    vaeTiling: w.vaeTiling,
    controlnet: w.controlnet,
    /** The library running quantized weights; null for unquantized ones. */
    quantBackend: w.quantBackend,
    /** Software versions the time's stack factors used (versionNumber: ROCm 6.4 → 6.04); empty when not given. */
    software: w.software,
  };
}

export function componentsJson(parts: readonly ComponentBreakdown[]) {
  return parts.map((c) => ({
    role: c.role,
    name: c.name,
    phase: c.phase,
    parameters: c.parameters,
    buffers: c.buffers,
    precision: c.precision,
    weightBytes: Math.round(c.weightBytes),
    fp32KeptParameters: c.fp32KeptParameters,
    weightBytesByPrecision: Object.fromEntries(
      Object.entries(c.weightBytesByPrecision).map(([k, v]) => [k, Math.round(v)]),
    ),
    flopsPerForward: c.flopsPerForward,
    forwardBatch: c.forwardBatch,
    forwardsPerCall: c.forwardsPerCall,
    activationBytes: Object.fromEntries(Object.entries(c.activationBytes).map(([k, v]) => [k, Math.round(v)])),
  }));
}

export function estimateJson(e: Estimate) {
  const { chosen } = e;
  const m = chosen.memory;
  const t = chosen.time;
  return {
    schemaVersion: ESTIMATE_SCHEMA_VERSION,
    model: { id: e.workload.model.id, name: e.workload.model.name },
    device: { id: e.device.id, name: e.device.name, memoryGiB: e.device.memoryGiB, backend: e.device.backend },
    runtime: e.runtime,
    workload: workloadJson(e.workload),
    fits: chosen.fits,
    /** `comfortable`, `tight` (within the memory model's p90 error of usable memory) or `does-not-fit`. */
    fitGrade: chosen.fitGrade,
    strategy: chosen.strategy,
    usableDeviceBytes: Math.round(e.usable.bytes),
    usableReason: e.usable.reason,
    components: componentsJson(e.parts),
    memory: {
      phases: m.phases.map((p) => ({
        ...p,
        weightBytes: Math.round(p.weightBytes),
        activationBytes: Math.round(p.activationBytes),
        allocatedBytes: Math.round(p.allocatedBytes),
      })),
      totalWeightBytes: Math.round(m.totalWeightBytes),
      peakAllocatedBytes: Math.round(m.peakAllocatedBytes),
      peakReservedBytes: Math.round(m.peakReservedBytes),
      peakDeviceBytes: Math.round(m.peakDeviceBytes),
      peakHostBytes: Math.round(m.peakHostBytes),
      /** What the run needs on the device (allocated + fixed reserve + runtime context): the fit is judged on it. */
      peakRequiredBytes: Math.round(m.peakRequiredBytes),
      /** Allocator cache in peakDeviceBytes beyond that, given back before an out-of-memory. */
      allocatorCacheBytes: Math.round(m.allocatorCacheBytes),
      overheads: {
        reservedActivationFactor: MODEL_CONSTANTS.reservedActivationFactor,
        reservedFixedBytes: MODEL_CONSTANTS.reservedFixedBytes,
        contextBytes: MODEL_CONSTANTS.contextBytes,
      },
    },
    time: {
      secondsPerStep: t.secondsPerStep,
      stepsPerSecond: t.stepsPerSecond,
      secondsPerImage: t.secondsPerImage,
      imagesPerHour: t.imagesPerHour,
      bound: t.bound,
      phases: t.phases,
    },
    /** Time to the first image apart from the steady rate: disk read, load/conversion, warm-up, first call (src/cost/first-image.ts). */
    firstImage: e.firstImage,
    /** The attention kernel that runs for the one asked (Intel GPUs' SDPA: src/cost/attention-run.ts); `reason` null when it is the one asked. */
    attention: e.attention,
    /** `measured here`: times scaled by this machine's `genready bench` measurements (see `calibration`). */
    basis: chosen.basis,
    calibration: e.calibration && {
      factors: e.calibration.factors,
      measuredAt: e.calibration.measuredAt,
      source: e.calibration.source,
    },
    alternatives: e.alternatives.map((a) => ({
      strategy: a.strategy,
      fits: a.fits,
      fitGrade: a.fitGrade,
      peakDeviceBytes: Math.round(a.memory.peakDeviceBytes),
      peakRequiredBytes: Math.round(a.memory.peakRequiredBytes),
      peakHostBytes: Math.round(a.memory.peakHostBytes),
      secondsPerImage: a.time.secondsPerImage,
      basis: a.basis,
    })),
  };
}

export type EstimateJson = ReturnType<typeof estimateJson>;
