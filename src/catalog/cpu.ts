/**
 * A generic CPU device for machines without a usable GPU, built from what a probe can read (core
 * count, clock, SIMD flags) instead of from a catalog row. The numbers are theoretical peaks in the
 * same convention as the catalog's CPU rows (data/devices.csv, from shared/reference/gpus_notes.md:
 * cores × FP32 FLOP per clock × all-core clock); real PyTorch CPU diffusion runs far below them,
 * which the cost model's efficiencies account for.
 */

import { deviceSlug } from './_device-names.ts';
import type { Device, Vendor } from './devices.types.ts';
import { CatalogError } from './errors.ts';

export interface CpuSpec {
  /** Marketing name as the OS reports it, e.g. `AMD Ryzen 7 5800X 8-Core Processor`. */
  model: string;
  /** Physical cores; SMT threads share the FMA units, so they add no peak FLOPs. */
  cores: number;
  threads?: number;
  /** Sustained all-core clock in GHz; `DEFAULT_CLOCK_GHZ` when unknown. */
  clockGHz?: number;
  /** avx512Halves: AVX-512 executed as two 256-bit halves (Zen 4), at AVX2's FLOPs per cycle. */
  simd: { avx2?: boolean; avx512?: boolean; avx512Halves?: boolean; amx?: boolean; neon?: boolean };
  /**
   * FP32 FLOP per clock per core, when the caller knows better than the SIMD flags: AVX-512 parts
   * with one 512-bit FMA pipe (Zen 4's halves are `simd.avx512Halves`).
   */
  flopsPerCycle?: number;
  memoryBandwidthGBs?: number;
  ramGiB?: number;
}

/**
 * FP32 FLOP per clock per core: vector lanes × 2 (an FMA is two FLOPs) × 2 FMA pipes.
 * AVX-512 16 lanes → 64 and AVX2 8 lanes → 32 are the conventions of gpus_notes.md ("Zen 5
 * desktop: 64", "Zen 3/Zen 4 and Intel P-cores: 32"); NEON 4 lanes → 16 as for the Arm cores with
 * two 128-bit FMA pipes. The fallback, 8, is SSE: 4 lanes with separate multiply and add pipes.
 */
export const FLOPS_PER_CYCLE = { avx512: 64, avx2: 32, neon: 16, scalar: 8 } as const;

/**
 * Intel AMX tile unit, per core per clock: 1024 BF16 FLOP and 2048 INT8 ops, Intel's published
 * figures for Sapphire Rapids (Architecture Day 2021).
 */
const AMX_BF16_FLOPS_PER_CYCLE = 1024;
const AMX_INT8_OPS_PER_CYCLE = 2048;

/** Used when the clock is unknown: a conservative all-core clock for current desktop and laptop parts. */
export const DEFAULT_CLOCK_GHZ = 3.0;

/** Dual-channel DDR4-3200: 2 channels × 8 bytes × 3200 MT/s = 51.2 GB/s, the common desktop baseline. */
export const DEFAULT_CPU_BANDWIDTH_GBS = 51.2;

function flopsPerCycle(spec: CpuSpec): { value: number; basis: string } {
  if (spec.flopsPerCycle !== undefined) return { value: spec.flopsPerCycle, basis: 'given' };
  if (spec.simd.avx512 && spec.simd.avx512Halves)
    return { value: FLOPS_PER_CYCLE.avx2, basis: 'AVX-512 on 256-bit halves, as AVX2' };
  if (spec.simd.avx512) return { value: FLOPS_PER_CYCLE.avx512, basis: 'AVX-512, 2 FMA pipes' };
  if (spec.simd.avx2) return { value: FLOPS_PER_CYCLE.avx2, basis: 'AVX2, 2 FMA pipes' };
  if (spec.simd.neon) return { value: FLOPS_PER_CYCLE.neon, basis: 'NEON, 2 x 128-bit FMA pipes' };
  return { value: FLOPS_PER_CYCLE.scalar, basis: 'no AVX2/NEON: SSE fallback' };
}

const VENDOR_BY_WORD: [RegExp, Vendor][] = [
  [/\b(amd|ryzen|epyc|threadripper)\b/i, 'AMD'],
  [/\b(intel|xeon|core)\b/i, 'Intel'],
  [/\bapple\b/i, 'Apple'],
];

function assertPositive(name: string, value: number | undefined, integer = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new CatalogError(
      'invalid-device',
      `cpu ${name} must be a positive ${integer ? 'whole ' : ''}number, got ${value}`,
    );
  }
}

/**
 * Describe a CPU as a `Device`.
 * @example cpuDevice({ model: 'Ryzen 7 5800X', cores: 8, clockGHz: 4.5, simd: { avx2: true } }).fp32Tflops // 1.152
 */
export function cpuDevice(spec: CpuSpec): Device {
  assertPositive('cores', spec.cores, true);
  assertPositive('threads', spec.threads, true);
  assertPositive('clockGHz', spec.clockGHz);
  assertPositive('flopsPerCycle', spec.flopsPerCycle);
  assertPositive('memoryBandwidthGBs', spec.memoryBandwidthGBs);
  assertPositive('ramGiB', spec.ramGiB);

  const clock = spec.clockGHz ?? DEFAULT_CLOCK_GHZ;
  const perCycle = flopsPerCycle(spec);
  // cores × FLOP/cycle × GHz gives GFLOPS; /1000 for TFLOPS. Rounded to whole GFLOPS to avoid float noise.
  const tera = (opsPerCycle: number) => Math.round(spec.cores * opsPerCycle * clock) / 1000;
  const amx = spec.simd.amx === true;
  // Halved AVX-512 is named apart ("avx512/256"), so the cost model rates it as the AVX2 it runs as.
  const simd = (['avx512', 'avx2', 'amx', 'neon'] as const)
    .filter((k) => spec.simd[k])
    .map((k) => (k === 'avx512' && spec.simd.avx512Halves ? 'avx512/256' : k));

  const notes = [
    `peak = ${spec.cores} cores x ${perCycle.value} FP32 FLOP/cycle (${perCycle.basis}) x ${clock} GHz`,
    spec.clockGHz === undefined ? `clock unknown: ${DEFAULT_CLOCK_GHZ} GHz assumed` : '',
    spec.memoryBandwidthGBs === undefined
      ? `bandwidth unknown: dual-channel DDR4-3200 (${DEFAULT_CPU_BANDWIDTH_GBS} GB/s) assumed`
      : '',
    spec.threads !== undefined ? `${spec.threads} threads` : '',
    amx ? 'AMX: BF16/INT8 matrix peaks from 1024/2048 ops per core per cycle' : '',
  ].filter((n) => n.length > 0);

  return {
    id: `cpu-${deviceSlug('', spec.model) || 'generic'}`,
    vendor: VENDOR_BY_WORD.find(([re]) => re.test(spec.model))?.[1] ?? 'other',
    name: spec.model,
    segment: 'cpu',
    architecture: spec.simd.neon ? 'arm64' : 'x86-64',
    computeId: simd.length > 0 ? simd.join('+') : 'scalar',
    launchYear: null,
    memoryGiB: spec.ramGiB ?? null,
    unifiedMemory: true,
    memoryOptionsGiB: [],
    memoryBandwidthGBs: spec.memoryBandwidthGBs ?? DEFAULT_CPU_BANDWIDTH_GBS,
    fp32Tflops: tera(perCycle.value),
    // No FP16 matrix units; PyTorch CPU FP16 is not faster than FP32, so no FP16 peak is claimed.
    fp16MatrixTflops: null,
    fp16AccMatrixTflops: null,
    fp16VectorTflops: null,
    bf16MatrixTflops: amx ? tera(AMX_BF16_FLOPS_PER_CYCLE) : null,
    fp8MatrixTflops: null,
    int8Tops: amx ? tera(AMX_INT8_OPS_PER_CYCLE) : null,
    bf16Support: amx,
    fp8Support: false,
    backend: 'cpu',
    pcie: null,
    tdpW: null,
    launchPriceUsd: null,
    source: 'derived: cores × FLOP/cycle × clock (genready cpu model)',
    confidence: 'low',
    notes: notes.join('; '),
  };
}

/**
 * The part of a CPU that a run on `threads` of its `cores` computes on. Peak FLOPs scale with the
 * cores doing the work (each physical core has its own FMA pipes); the cost model's CPU streaming
 * rate is already capped by those FLOPs (src/cost/time.ts), so bandwidth needs no second cut.
 * Why: `bench` and `run` take fewer threads on a busy machine (src/ort/threads.ts), and a one-thread
 * run on two cores predicted at two cores reads as a machine half as fast as it is.
 */
export function onThreads(d: Device, threads: number | undefined, cores: number): Device {
  if (d.backend !== 'cpu' || threads === undefined || threads >= cores || threads < 1) return d;
  const share = threads / cores;
  const scaled = (v: number | null) => (v === null ? null : v * share);
  return {
    ...d,
    fp32Tflops: d.fp32Tflops * share,
    bf16MatrixTflops: scaled(d.bf16MatrixTflops),
    int8Tops: scaled(d.int8Tops),
    notes: `${d.notes}; ${threads} of ${cores} cores computing`,
  };
}
