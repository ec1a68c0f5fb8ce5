/**
 * Time to the first image, apart from the steady state: people ask both "how long until I see an
 * image" and "how many per hour". Before the first image a process reads the weights from disk,
 * turns them into a runnable model (onnxruntime session creation on a CPU; the copy into device
 * memory on a GPU), and pays a first-call warm-up; then the first pipeline call runs at the steady
 * rate. Pure: the estimate's parts, device, strategy and steady time in, seconds out.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { ComponentBreakdown } from './breakdown.ts';
import { MODEL_CONSTANTS, type ModelConstants } from './constants.ts';
import type { Strategy } from './memory.ts';
import { hostLink } from './rates.ts';
import type { TimeEstimate } from './time.ts';

export interface FirstImage {
  /** Weights to load, all components (bytes). */
  weightBytes: number;
  /** Reading them from disk at `diskBytesPerSecond`; zero when the OS page cache holds them (a model just used). */
  readSeconds: number;
  diskBytesPerSecond: number;
  /** Turning the files into a runnable model: onnxruntime session creation (CPU) or the copy into device memory (GPU). */
  loadSeconds: number;
  /** The first call's extra work: GPU kernel loading and library handles, or first-touch of the CPU's activation memory. */
  warmupSeconds: number;
  /** One pipeline call (the first batch) at the steady rate. */
  firstCallSeconds: number;
  /** From a cold start (weights on disk) to the first batch of images. */
  firstImageSeconds: number;
  /** The same with the weights already in the page cache (a second start of the same model). */
  firstImageCachedSeconds: number;
  /** Steady state, for comparison: seconds per image once running. */
  steadySecondsPerImage: number;
  /** What the load figures assume, in words. */
  runtime: string;
}

/** fp32 bytes of the GEMM and convolution weights the runtime's graphs hold (what onnxruntime prepacks). */
export function prepackedBytes(parts: readonly Pick<ComponentBreakdown, 'opGroups'>[]): number {
  let params = 0;
  for (const c of parts)
    for (const { op, count } of c.opGroups)
      if ((op.kind === 'linear' || op.kind === 'conv') && op.macs > 0) params += op.params * count;
  return params * 4;
}

/** Ops the graphs run (weights loaded but never run, such as a VAE's encoder, are not in them). */
export function runOps(parts: readonly Pick<ComponentBreakdown, 'opGroups'>[]): number {
  let n = 0;
  for (const c of parts) for (const { op, count } of c.opGroups) if (op.macs > 0 || op.ioElems > 0) n += count;
  return n;
}

/**
 * onnxruntime CPU session creation: a cost per op (parsing, graph optimisation passes, kernel
 * creation) and, per byte of repacked weights, the copying and repacking itself plus the fresh
 * memory those copies fault in (the larger part: the kernel zeroes every new page).
 */
export function cpuSessionSeconds(
  parts: readonly Pick<ComponentBreakdown, 'opGroups'>[],
  K: ModelConstants = MODEL_CONSTANTS,
): number {
  const F = K.firstImage;
  const perByte = 1 / F.cpuRepackBytesPerSecond + F.cpuSessionTouchPerWeightByte / F.cpuFirstTouchBytesPerSecond;
  return runOps(parts) * F.cpuSessionSecondsPerOp + prepackedBytes(parts) * perByte;
}

/**
 * The first onnxruntime run on a CPU faults in its arena's activation pages (every later run reuses
 * them); the graphs materialise the attention scores, so the naive kernel's peak is what gets touched.
 */
export function cpuFirstRunSeconds(
  parts: readonly Pick<ComponentBreakdown, 'activationBytes'>[],
  K: ModelConstants = MODEL_CONSTANTS,
): number {
  return parts.reduce((s, c) => s + c.activationBytes.naive, 0) / K.firstImage.cpuFirstTouchBytesPerSecond;
}

/**
 * The first-image cost of a workload already estimated: `parts` and `strategy` say which weights go
 * where, `time` is the steady-state time of the chosen strategy (calibrated or not), `computeDevice`
 * is the device that runs (the CPU for the CPU strategy).
 */
export function firstImageCost(
  parts: readonly ComponentBreakdown[],
  computeDevice: Device,
  strategy: Strategy,
  time: TimeEstimate,
  batch: number,
  K: ModelConstants = MODEL_CONSTANTS,
): FirstImage {
  const F = K.firstImage;
  const weightBytes = parts.reduce((s, c) => s + c.weightBytes, 0);
  const readSeconds = weightBytes / F.diskBytesPerSecond;
  let loadSeconds: number;
  let warmupSeconds: number;
  let runtime: string;
  if (strategy === 'cpu' || computeDevice.backend === 'cpu') {
    // onnxruntime (genready run) parses each graph, optimises it and prepacks the fp32 weights of
    // its GEMMs and convolutions into MLAS's blocked layouts: that repacking is the cost (lookup
    // tables such as CLIP's token embeddings are only mapped; a decode graph holds only the decoder).
    loadSeconds = cpuSessionSeconds(parts, K);
    warmupSeconds = cpuFirstRunSeconds(parts, K);
    runtime = 'onnxruntime on the CPU (genready run): session creation per model';
  } else {
    // Weights that live on the device are copied there once; offloaded ones stay in RAM (their
    // per-call copies are in the steady time already).
    const onDevice = strategy === 'gpu' ? weightBytes : 0;
    const link = hostLink(computeDevice);
    loadSeconds = link === null ? 0 : onDevice / (link * K.hostLinkEfficiency);
    warmupSeconds = F.gpuWarmupSeconds;
    runtime = 'PyTorch: weights copied to the device, first-call warm-up';
  }
  const firstCallSeconds = time.secondsPerImage * batch;
  const cached = loadSeconds + warmupSeconds + firstCallSeconds;
  return {
    weightBytes,
    readSeconds,
    diskBytesPerSecond: F.diskBytesPerSecond,
    loadSeconds,
    warmupSeconds,
    firstCallSeconds,
    firstImageSeconds: readSeconds + cached,
    firstImageCachedSeconds: cached,
    steadySecondsPerImage: time.secondsPerImage,
    runtime,
  };
}
