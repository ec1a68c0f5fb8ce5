/**
 * Time per phase: a roofline per op — FLOPs at the device's rate for the compute type and kind of
 * op (times a kernel efficiency), against bytes over its bandwidth — floored by the host's cost to
 * launch the op, plus per-step and per-call overheads and, for offload, the weight transfers.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { ComponentBreakdown } from './breakdown.ts';
import { MODEL_CONSTANTS, type ModelConstants, ROCM_TUNED_SINCE, RUNTIMES, type Runtime } from './constants.ts';
import type { Strategy } from './memory.ts';
import { computeBytes, computeType, PRECISIONS, QUANT_PATHS, type QuantPath, quantPath } from './precision.ts';
import { bandwidth, eightBitPeak, hostLink, type Peak, peakRate } from './rates.ts';
import type { Op, Phase } from './types.ts';
import type { Workload } from './workload.ts';

export interface PhaseTime {
  phase: Phase;
  /** Seconds for one pipeline call (the whole batch). */
  seconds: number;
  /** Of which: host↔device weight transfers (offload). */
  transferSeconds: number;
}

export interface TimeEstimate {
  phases: PhaseTime[];
  /** One sampler step: every denoiser pass of the whole batch (CFG counts twice). */
  secondsPerStep: number;
  stepsPerSecond: number;
  /** Text encoding + all steps + VAE decode, per image, without model loading. */
  secondsPerImage: number;
  imagesPerHour: number;
  /** What bounds the denoiser step: compute, memory bandwidth, op launches or host transfers. */
  bound: 'compute' | 'bandwidth' | 'launch' | 'transfer';
}

const CAST_PATH = QUANT_PATHS.cast.fp8!;

/**
 * The quantization path of a component's matmul/conv weights on a device (only those are stored
 * quantized; a CPU runs them in fp32).
 */
function componentQuantPath(c: ComponentBreakdown, w: Workload, d: Device): QuantPath | null {
  if (d.backend === 'cpu') return null;
  const path = quantPath(c.precision, c.role === 'denoiser' ? w.quantBackend : null);
  // fp8 matmuls need fp8 tensor cores; without them the libraries upcast the weights instead.
  if (path?.gemm === 'fp8' && !eightBitPeak(d, 'fp8')) return CAST_PATH;
  return path;
}

/**
 * Share of a fused attention kernel's tensor-core work that is useful: FlashAttention-2 (PyTorch's
 * SDPA flash and memory-efficient kernels alike) tiles queries and keys in blocks of 128 and pads
 * the head dimension to a multiple of 32 (its compiled head sizes 32, 64, 96, 128, …). A 77-token
 * CLIP context fills 77/128 of a key block; SD 1.5's 40-wide heads run as 64; PixArt's 72 as 96.
 */
export function flashTileUse(a: { queries: number; keys: number; headDim: number }): number {
  return blockUse(a.queries, 128) * blockUse(a.keys, 128) * blockUse(a.headDim, 32);
}

/** Share of whole blocks of `block` that `n` fills. */
const blockUse = (n: number, block: number) => n / (Math.ceil(n / block) * block);

/** A CPU's matmul efficiency from its widest vector unit (the probe's SIMD flags, in `computeId`). */
export function cpuEfficiency(d: Device, K: ModelConstants): number {
  const isa = d.computeId.split('+');
  return isa.includes('avx512') ? K.cpu.avx512 : isa.includes('neon') ? K.cpu.neon : K.cpu.avx2;
}

/** Software-version factor where the workload names the version: old ROCm on a newer architecture, pre-2.0 MPS. */
export function stackFactor(w: Workload, d: Device, K: ModelConstants): number {
  const v = w.software;
  if (d.backend === 'rocm' && v.rocm !== undefined) {
    const since = Object.entries(ROCM_TUNED_SINCE).find(([prefix]) => d.computeId.startsWith(prefix))?.[1];
    if (since !== undefined && v.rocm < since) return K.stack.rocmUntuned;
  }
  if (d.backend === 'metal' && v.torch !== undefined && v.torch < 2) return K.stack.mpsBeforeTorch2;
  return 1;
}

/**
 * Everything an op's cost needs that is the same for every op of a component on a device: worked
 * out once per component and device, since a ladder over the catalog costs every op of every
 * component on every device (the time model's hot path).
 */
interface OpContext {
  w: Workload;
  K: ModelConstants;
  /** Samples in one forward. */
  B: number;
  actBytes: number;
  /** Backend × software stack × runtime × sustained clock. */
  scale: number;
  /** Matmul-like ops in the compute type. */
  peak: Peak;
  /** The quantized matmul/conv path (null: unquantized, or on a CPU) and its 8-bit peak where it has one. */
  path: QuantPath | null;
  quantPeak: Peak | null;
  /** Bytes per weight a quantized matmul reads: the 16-bit copy, or the stored weight. */
  quantWeightBytes: number;
  /** Stored bytes per weight of the component's format, and the weight bytes per parameter as stored. */
  stored: number;
  perParam: number;
  /** The efficiency of every matmul-like op on a CPU (its vector unit); null on a GPU. */
  cpuEfficiency: number | null;
  isCpu: boolean;
  /** GroupNorm's statistics pass is costed on CUDA and ROCm. */
  groupNormStats: boolean;
  /** Bytes/s of activation traffic, and elements/s (for GroupNorm's statistics). */
  rate: number;
  rowRate: number;
  launch: number;
  flash: boolean;
}

function opContext(c: ComponentBreakdown, w: Workload, d: Device, rt: Runtime, K: ModelConstants): OpContext {
  const p = c.precision;
  const isCpu = d.backend === 'cpu';
  const ct = isCpu ? 'fp32' : computeType(p, w.model.defaults.precision);
  const actBytes = isCpu ? 4 : computeBytes(p);
  const eff = K.efficiency;
  const clock =
    d.segment === 'datacenter'
      ? K.sustainedClock.datacenter
      : d.segment === 'consumer_laptop'
        ? K.sustainedClock.laptop
        : K.sustainedClock.desktop;
  const scale =
    K.backendScale[d.backend] * stackFactor(w, d, K) * rt.efficiencyScale * (isCpu || d.backend === 'metal' ? 1 : clock);
  const path = componentQuantPath(c, w, d);
  const stored = PRECISIONS[p].bytesPerParam;
  const rate = bandwidth(d) * (isCpu ? K.cpu.bandwidth : eff.bandwidth) * Math.min(1, scale);
  const server = d.segment === 'datacenter' ? K.serverLaunchFactor : 1;
  return {
    w,
    K,
    B: c.forwardBatch,
    actBytes,
    scale,
    peak: peakRate(d, ct),
    path,
    quantPeak: path?.gemm === 'int8' || path?.gemm === 'fp8' ? eightBitPeak(d, path.gemm) : null,
    quantWeightBytes: path?.gemm === 'dequantized' ? 2 : stored,
    stored,
    perParam: c.weightBytes / Math.max(1, c.parameters + c.buffers),
    cpuEfficiency: isCpu ? cpuEfficiency(d, K) : null,
    isCpu,
    groupNormStats: d.backend === 'cuda' || d.backend === 'rocm',
    rate,
    rowRate: rate / actBytes,
    launch: isCpu ? 0 : K.launchSeconds * rt.launchScale * server,
    flash: w.attention === 'flash',
  };
}

/** Seconds of one bound of a denoiser step: what `bound` is decided from. */
export interface BoundShare {
  compute: number;
  bandwidth: number;
  launch: number;
}

/** One forward of one component (the whole forward batch) on a device, and the time per bound. */
export interface ForwardTime {
  seconds: number;
  share: BoundShare;
}

/**
 * One forward of a component: per op a roofline, max(compute, memory, launch), plus the
 * quantization library's kernels around the matmul (dequantize, scale, activation quantize); each
 * op's time counted toward the bound that set it. Written as one loop without allocation: it runs
 * for every op of every component on every device a ladder asks about.
 */
function componentSeconds(c: ComponentBreakdown, x: OpContext): ForwardTime {
  const { B, K, scale, actBytes, rate, launch } = x;
  const eff = K.efficiency;
  let total = 0;
  let shareCompute = 0;
  let shareBandwidth = 0;
  let shareLaunch = 0;
  for (const { op, count } of c.opGroups) {
    const flops = 2 * op.macs * (op.ioElems > 0 ? B : 1);
    // Only matmul/conv weights are stored quantized.
    const path = (op.kind === 'linear' || op.kind === 'conv') && op.params !== 0 ? x.path : null;
    let compute = 0;
    if (op.kind === 'linear' || op.kind === 'conv' || op.kind === 'attention') {
      const peak = (path ? x.quantPeak : null) ?? x.peak;
      // Vector ALUs run GEMMs, convolutions and attention alike near their (much lower) peak; the
      // tensor-core share depends on the kind of op.
      let e =
        x.cpuEfficiency ??
        (peak.units === 'vector'
          ? eff.vector
          : op.kind === 'linear'
            ? eff.linear
            : op.kind === 'conv'
              ? eff.conv
              : eff.attention);
      if (path?.gemm === 'int4') e *= K.int4GemmEfficiency;
      if (op.attention && peak.units === 'matrix' && x.flash) e *= flashTileUse(op.attention);
      compute = flops / (peak.flops * e * scale);
    }
    // The matmul reads the weight as stored, or the 16-bit copy the library dequantized it to.
    const weightRead = path ? op.params * x.quantWeightBytes : op.params * x.perParam;
    let bytes = weightRead + op.ioElems * B * actBytes;
    if (op.attention && !x.flash) {
      // Materialised scores: written, read by softmax, written again, read by the AV product.
      const a = op.attention;
      bytes += 4 * B * a.heads * a.queries * a.keys * actBytes;
    }
    let memory = bytes / rate;
    if (op.groups && x.groupNormStats) {
      // GroupNorm reads its input once more for the statistics, on one thread block per sample × group.
      const statsElems = (op.ioElems / 2) * B;
      memory += statsElems / Math.min(x.rowRate, B * op.groups * K.groupNormRowElementsPerSecond);
    }
    let quant = 0;
    if (path) {
      for (const k of path.kernels) {
        const kb = op.params * (k.weightBytes + (k.stored ? x.stored : 0)) + (k.activationBytes ?? 0) * op.ioElems * B;
        quant += Math.max(kb / rate, launch);
      }
      // After a read-back the GPU waits for the host to launch each following kernel.
      if (path.hostSync) quant += launch * (path.kernels.length + 1);
    }
    const seconds = Math.max(compute, memory, launch) + quant;
    const base = (seconds - quant) * count;
    total += seconds * count;
    // Dequantization streams weights: it counts as bandwidth-bound time.
    shareBandwidth += quant * count;
    if (seconds - quant === compute) shareCompute += base;
    else if (seconds - quant === memory) shareBandwidth += base;
    else shareLaunch += base;
  }
  return { seconds: total, share: { compute: shareCompute, bandwidth: shareBandwidth, launch: shareLaunch } };
}

/**
 * One forward of each component (in `parts` order) on the compute device: the part of the time
 * model that no strategy changes, so an estimate works it out once for all its strategies.
 */
export function forwardTimes(
  w: Workload,
  parts: readonly ComponentBreakdown[],
  d: Device,
  runtimeId: Runtime['id'] = 'pytorch',
  K: ModelConstants = MODEL_CONSTANTS,
): ForwardTime[] {
  const rt = RUNTIMES[runtimeId];
  return parts.map((c) => componentSeconds(c, opContext(c, w, d, rt, K)));
}

const PHASES: readonly Phase[] = ['text-encoding', 'denoising', 'vae-decode'];

/** The time of a strategy from the forwards of `parts` (`forwardTimes`): steps, transfers, overheads. */
export function timeFromForwards(
  w: Workload,
  parts: readonly ComponentBreakdown[],
  forwards: readonly ForwardTime[],
  d: Device,
  strategy: Strategy,
  K: ModelConstants = MODEL_CONSTANTS,
): TimeEstimate {
  const link = hostLink(d);
  const linkRate = link === null ? null : link * K.hostLinkEfficiency;
  const phases: PhaseTime[] = [];
  let stepSeconds = 0;
  let stepTransfer = 0;
  const stepShare = { compute: 0, bandwidth: 0, launch: 0 };
  for (const phase of PHASES) {
    let seconds = 0;
    let transfer = 0;
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i]!;
      if (c.phase !== phase) continue;
      const { seconds: perForward, share } = forwards[i]!;
      seconds += perForward * c.forwardsPerCall;
      if (linkRate !== null) {
        // Model offload moves each component in once per call and back out when the next one is
        // called (accelerate's cpu_offload_with_hook: two copies); sequential offload streams every
        // layer in for every forward (moving it out is a free pointer swap to the CPU copy).
        if (strategy === 'model-offload') transfer += (2 * c.weightBytes) / linkRate;
        if (strategy === 'sequential-offload') transfer += (c.weightBytes / linkRate) * c.forwardsPerCall;
      }
      if (phase === 'denoising') {
        stepSeconds += perForward;
        stepShare.compute += share.compute;
        stepShare.bandwidth += share.bandwidth;
        stepShare.launch += share.launch;
        if (strategy === 'sequential-offload' && linkRate !== null) stepTransfer += c.weightBytes / linkRate;
      }
    }
    if (phase === 'denoising') seconds += K.stepOverheadSeconds * w.steps;
    phases.push({ phase, seconds: seconds + transfer, transferSeconds: transfer });
  }
  const secondsPerStep = stepSeconds + K.stepOverheadSeconds + stepTransfer;
  const call = phases.reduce((s, p) => s + p.seconds, 0) + K.callOverheadSeconds;
  const secondsPerImage = call / w.batch;
  const bound =
    stepTransfer > stepSeconds
      ? 'transfer'
      : stepShare.compute >= stepShare.bandwidth && stepShare.compute >= stepShare.launch
        ? 'compute'
        : stepShare.bandwidth >= stepShare.launch
          ? 'bandwidth'
          : 'launch';
  return {
    phases,
    secondsPerStep,
    stepsPerSecond: 1 / secondsPerStep,
    secondsPerImage,
    imagesPerHour: 3600 / secondsPerImage,
    bound,
  };
}


export function estimateTime(
  w: Workload,
  parts: readonly ComponentBreakdown[],
  d: Device,
  strategy: Strategy,
  runtimeId: Runtime['id'] = 'pytorch',
  K: ModelConstants = MODEL_CONSTANTS,
): TimeEstimate {
  return timeFromForwards(w, parts, forwardTimes(w, parts, d, runtimeId, K), d, strategy, K);
}
