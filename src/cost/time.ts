/**
 * Time per phase: a roofline per op — FLOPs at the device's rate for the compute type and kind of
 * op (times a kernel efficiency), against bytes over its bandwidth — floored by the host's cost to
 * launch the op, plus per-step and per-call overheads and, for offload, the weight transfers.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { ComponentBreakdown } from './breakdown.ts';
import {
  MODEL_CONSTANTS,
  type ModelConstants,
  ROCM_TUNED_SINCE,
  RUNTIMES,
  type Runtime,
  SLOT_POWER_W,
} from './constants.ts';
import type { Strategy } from './memory.ts';
import {
  computeBytes,
  computeType,
  isQuantized,
  PRECISIONS,
  QUANT_PATHS,
  type QuantPath,
  quantPath,
} from './precision.ts';
import { bandwidth, eightBitPeak, hostLink, peakRate } from './rates.ts';
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

interface OpCost {
  seconds: number;
  compute: number;
  memory: number;
  launch: number;
  /** Of `seconds`: the quantization library's kernels around the matmul (dequantize, scale, activation quantize). */
  quant: number;
}

const CAST_PATH = QUANT_PATHS.cast.fp8!;

/** The quantization path of an op: only matmul/conv weights are stored quantized. */
function opQuantPath(op: Op, c: ComponentBreakdown, w: Workload, d: Device): QuantPath | null {
  if ((op.kind !== 'linear' && op.kind !== 'conv') || op.params === 0 || d.backend === 'cpu') return null;
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
  const use = (n: number, block: number) => n / (Math.ceil(n / block) * block);
  return use(a.queries, 128) * use(a.keys, 128) * use(a.headDim, 32);
}

/**
 * A CPU's widest vector unit: the probe's SIMD flags (`computeId`, e.g. `avx512+avx2+amx`), or for
 * the catalog's CPU rows the ISA their architecture names ("AVX-512 full 512-bit datapath"). Zen 4's
 * AVX-512 runs on 256-bit datapaths: its peak is counted as AVX2's and it runs MLAS like AVX2.
 */
export function cpuIsa(d: Device): 'avx512' | 'avx2' | 'neon' {
  const isa = d.computeId.split('+');
  if (isa.includes('avx512')) return 'avx512';
  if (isa.includes('neon') || d.architecture === 'arm64') return 'neon';
  // The text leads with the widest unit ("AVX2/FMA3 (no AVX-512)" is an AVX2 part).
  if (/^avx-?512/i.test(d.architecture) && !/256-bit/i.test(d.architecture)) return 'avx512';
  return 'avx2';
}

/** A CPU's GEMM/convolution efficiency from its widest vector unit. */
export function cpuEfficiency(d: Device, K: ModelConstants): number {
  return K.cpu[cpuIsa(d)];
}

/**
 * Bytes per second a CPU streams through onnxruntime's elementwise, normalisation and softmax
 * kernels: they are vectorised like the GEMMs, so one core moves a fixed number of bytes per FLOP of
 * its vector peak (K.cpu.streamBytesPerFlop), up to the share of DRAM bandwidth all cores reach.
 */
export function cpuStreamRate(d: Device, K: ModelConstants): number {
  return Math.min(bandwidth(d) * K.cpu.bandwidth, d.fp32Tflops * 1e12 * K.cpu.streamBytesPerFlop);
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
 * Sustained clock of dense tensor-core work over the boost clock the spec sheets' peaks assume.
 * Only matrix units: they draw the power that hits a board's cap (FP32 FMA work on the vector ALUs
 * stays near boost), and only the SM clock: memory keeps its bandwidth. Apple's figures are
 * measured rates already.
 */
export function matrixClock(d: Device, K: ModelConstants): number {
  if (d.backend === 'cpu' || d.backend === 'metal') return 1;
  if (d.segment === 'datacenter')
    return d.tdpW !== null && d.tdpW <= SLOT_POWER_W ? K.sustainedClock.slotPowered : K.sustainedClock.datacenter;
  return d.segment === 'consumer_laptop' ? K.sustainedClock.laptop : K.sustainedClock.desktop;
}

/** The device a strategy computes on: the CPU strategy runs on the host's CPU device. */
function opCost(op: Op, c: ComponentBreakdown, w: Workload, d: Device, rt: Runtime, K: ModelConstants): OpCost {
  // Weights loaded but never run (a text-to-image VAE's encoder) cost no time.
  if (op.macs === 0 && op.ioElems === 0) return { seconds: 0, compute: 0, memory: 0, launch: 0, quant: 0 };
  const p = c.precision;
  const ct = d.backend === 'cpu' ? 'fp32' : computeType(p, w.model.defaults.precision);
  const actBytes = d.backend === 'cpu' ? 4 : computeBytes(p);
  const B = c.forwardBatch;
  const eff = K.efficiency;
  // The software stack scales compute and streaming alike.
  const software = K.backendScale[d.backend] * stackFactor(w, d, K) * rt.efficiencyScale;
  const flops = 2 * op.macs * (op.ioElems > 0 ? B : 1);
  const path = opQuantPath(op, c, w, d);
  let compute = 0;
  if (op.kind === 'linear' || op.kind === 'conv' || op.kind === 'attention') {
    const low = path?.gemm === 'int8' || path?.gemm === 'fp8' ? eightBitPeak(d, path.gemm) : null;
    const peak = low ?? peakRate(d, ct);
    // Vector ALUs run GEMMs, convolutions and attention alike near their (much lower) peak; the
    // tensor-core share depends on the kind of op.
    let e =
      d.backend === 'cpu'
        ? cpuEfficiency(d, K)
        : peak.units === 'vector'
          ? eff.vector
          : op.kind === 'linear'
            ? eff.linear
            : op.kind === 'conv'
              ? eff.conv
              : eff.attention;
    if (path?.gemm === 'int4') e *= K.int4GemmEfficiency;
    if (op.attention && peak.units === 'matrix' && w.attention === 'flash') e *= flashTileUse(op.attention);
    const clock = peak.units === 'matrix' ? matrixClock(d, K) : 1;
    compute = flops / (peak.flops * e * software * clock);
  }
  const perParam = c.weightBytes / Math.max(1, c.parameters + c.buffers);
  const stored = PRECISIONS[p].bytesPerParam;
  // The matmul reads the weight as stored, or the 16-bit copy the library dequantized it to.
  // An embedding lookup reads only the rows it gathers (its output), not the whole table.
  const weightRead =
    op.kind === 'embedding' ? 0 : path ? op.params * (path.gemm === 'dequantized' ? 2 : stored) : op.params * perParam;
  let bytes = weightRead + op.ioElems * B * actBytes;
  if (op.attention && w.attention !== 'flash') {
    // Materialised scores: written, read by softmax, written again, read by the AV product.
    const a = op.attention;
    bytes += 4 * B * a.heads * a.queries * a.keys * actBytes;
  }
  const rate = (d.backend === 'cpu' ? cpuStreamRate(d, K) : bandwidth(d) * eff.bandwidth) * Math.min(1, software);
  let memory = bytes / rate;
  if (op.groups && (d.backend === 'cuda' || d.backend === 'rocm')) {
    // GroupNorm reads its input once more for the statistics, on one thread block per sample × group.
    const statsElems = (op.ioElems / 2) * B;
    memory += statsElems / Math.min(rate / actBytes, B * op.groups * K.groupNormRowElementsPerSecond);
  }
  const server = d.segment === 'datacenter' ? K.serverLaunchFactor : 1;
  const launch = d.backend === 'cpu' ? 0 : K.launchSeconds * rt.launchScale * server;
  const launches = launch * (op.launches ?? 1);
  let quant = 0;
  if (path) {
    for (const k of path.kernels) {
      const kb = op.params * (k.weightBytes + (k.stored ? stored : 0)) + (k.activationBytes ?? 0) * op.ioElems * B;
      quant += Math.max(kb / rate, launch);
    }
    // After a read-back the GPU waits for the host to launch each following kernel.
    if (path.hostSync) quant += launch * (path.kernels.length + 1);
  }
  // On a CPU, attention runs as kernels one after another on the same cores (QKᵀ GEMM, softmax, AV
  // GEMM): with a head dimension of 40–64 the GEMMs do ~2 × head-dim FLOPs per score they write or
  // read, too few to hide that traffic, and the softmax pass is pure traffic. Measured on SD 1.5
  // (onnxruntime profile, one thread): attention GEMMs + softmax took 0.58 s of a 5.5 s step at 256²
  // (scores in cache) and ~13 of 29 s at 512² (1 GB score tensors), near GEMM time + score traffic.
  const seconds = d.backend === 'cpu' && op.attention ? compute + memory : Math.max(compute, memory, launches);
  return { seconds: seconds + quant, compute, memory, launch: launches, quant };
}

function componentSeconds(c: ComponentBreakdown, w: Workload, d: Device, rt: Runtime, K: ModelConstants) {
  let total = 0;
  const share = { compute: 0, bandwidth: 0, launch: 0 };
  for (const { op, count } of c.opGroups) {
    const k = opCost(op, c, w, d, rt, K);
    const s = k.seconds * count;
    const base = (k.seconds - k.quant) * count;
    total += s;
    // Dequantization streams weights: it counts as bandwidth-bound time.
    share.bandwidth += k.quant * count;
    const top = Math.max(k.compute, k.memory, k.launch);
    if (top === k.compute) share.compute += base;
    else if (top === k.memory) share.bandwidth += base;
    else share.launch += base;
  }
  return { perForward: total, share };
}

export function estimateTime(
  w: Workload,
  parts: readonly ComponentBreakdown[],
  d: Device,
  strategy: Strategy,
  runtimeId: Runtime['id'] = 'pytorch',
  K: ModelConstants = MODEL_CONSTANTS,
): TimeEstimate {
  const rt = RUNTIMES[runtimeId];
  const link = hostLink(d);
  // Offload copies pageable host memory: the driver stages it through a pinned buffer with a host
  // memcpy, which caps the rate whatever the PCIe generation.
  const linkRate = link === null ? null : Math.min(link * K.hostLinkEfficiency, K.pageableCopyBytesPerSecond);
  const phases: PhaseTime[] = [];
  let stepSeconds = 0;
  let stepTransfer = 0;
  let stepShare = { compute: 0, bandwidth: 0, launch: 0 };
  for (const phase of ['text-encoding', 'denoising', 'vae-decode'] as Phase[]) {
    let seconds = 0;
    let transfer = 0;
    for (const c of parts.filter((x) => x.phase === phase)) {
      const { perForward, share } = componentSeconds(c, w, d, rt, K);
      seconds += perForward * c.forwardsPerCall;
      if (linkRate !== null) {
        // Model offload moves each component in once per call and back out when the next one is
        // called (accelerate's cpu_offload_with_hook: two copies); sequential offload streams every
        // layer in for every forward (moving it out is a free pointer swap to the CPU copy).
        const rate = linkRate * (isQuantized(c.precision) ? K.quantizedMoveShare : 1);
        if (strategy === 'model-offload') transfer += (2 * c.weightBytes) / rate;
        if (strategy === 'sequential-offload') transfer += (c.weightBytes / rate) * c.forwardsPerCall;
      }
      if (phase === 'denoising') {
        stepSeconds += perForward;
        stepShare = {
          compute: stepShare.compute + share.compute,
          bandwidth: stepShare.bandwidth + share.bandwidth,
          launch: stepShare.launch + share.launch,
        };
        if (strategy === 'sequential-offload' && linkRate !== null)
          stepTransfer += c.weightBytes / (linkRate * (isQuantized(c.precision) ? K.quantizedMoveShare : 1));
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
