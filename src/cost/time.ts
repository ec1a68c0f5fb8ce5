/**
 * Time per phase: a roofline per op — FLOPs at the device's rate for the compute type and kind of
 * op (times a kernel efficiency), against bytes over its bandwidth — floored by the host's cost to
 * launch the op, plus per-step and per-call overheads and, for offload, the weight transfers.
 */
import { FLOPS_PER_CYCLE } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import { type ComponentBreakdown, storedQuantized } from './breakdown.ts';
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
  PRECISIONS,
  QUANT_PATHS,
  type QuantPath,
  quantLibrary,
  quantPath,
} from './precision.ts';
import { bandwidth, eightBitPeak, gemmPeak, hostLink, type Peak, peakRate } from './rates.ts';
import { isIdle, PHASES, type Phase } from './types.ts';
import { tf32Matmul, type Workload } from './workload.ts';

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
 * Share of the host-link rate at which a component's weights move. Libraries that keep quantized
 * weights as tensor subclasses or beside scale tensors (torchao, quanto, bitsandbytes, GGUF) move
 * them tensor by tensor in Python (`quantizedMoveShare`); fp8 casting stores plain fp8 tensors,
 * which move as 16-bit ones do.
 */
function moveShare(c: ComponentBreakdown, w: Workload, K: ModelConstants): number {
  const library = quantLibrary(c.precision, w.quantBackend);
  return library === null || library === 'cast' ? 1 : K.quantizedMoveShare;
}

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

/**
 * A CPU's widest vector unit: the probe's SIMD flags (`computeId`, e.g. `avx512+avx2+amx`), or for
 * the catalog's CPU rows the ISA their architecture names ("AVX-512 full 512-bit datapath"). Zen 4's
 * AVX-512 runs on 256-bit datapaths: its peak is counted as AVX2's and it runs MLAS like AVX2 (the
 * probe names it `avx512/256`, the catalog "AVX-512 on 256-bit datapaths").
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
 * A CPU's cores × clock (core-GHz), from its vector peak: the catalog's rows and the probe's both
 * count that peak as cores × FLOP per cycle × clock (src/catalog/cpu.ts), so dividing by the FLOP
 * per cycle of its widest unit gives back the core-cycles per second.
 */
export function cpuCoreGHz(d: Device): number {
  const perCycle = d.computeId === 'scalar' ? FLOPS_PER_CYCLE.scalar : FLOPS_PER_CYCLE[cpuIsa(d)];
  return (d.fp32Tflops * 1e3) / perCycle;
}

/** A rate of so many bytes per core-cycle, up to the share of DRAM bandwidth all cores reach. */
const perCoreCycle = (d: Device, K: ModelConstants, bytesPerCycle: number) =>
  Math.min(bandwidth(d) * K.cpu.bandwidth, cpuCoreGHz(d) * 1e9 * bytesPerCycle);

/**
 * Bytes per second a CPU streams through onnxruntime's elementwise, normalisation and softmax
 * kernels: a fixed number per core-cycle (K.cpu.streamBytesPerCycle), whatever the vector width.
 */
export const cpuStreamRate = (d: Device, K: ModelConstants) => perCoreCycle(d, K, K.cpu.streamBytesPerCycle);

/**
 * Bytes per second a CPU reads GEMM and convolution weights at: a layer's weights come from DRAM on
 * every forward (the activations between layers evict them), K.cpu.weightBytesPerCycle per core-cycle.
 */
export const cpuWeightRate = (d: Device, K: ModelConstants) => perCoreCycle(d, K, K.cpu.weightBytesPerCycle);

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
  // Workstation boards (RTX A6000 at 300 W on a full GA102) hold their power cap as datacenter ones do.
  if (d.segment === 'datacenter' || d.segment === 'workstation')
    return d.tdpW !== null && d.tdpW <= SLOT_POWER_W ? K.sustainedClock.slotPowered : K.sustainedClock.datacenter;
  return d.segment === 'consumer_laptop' ? K.sustainedClock.laptop : K.sustainedClock.desktop;
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
  /** Backend × software stack × runtime: scales compute and streaming alike (the power cap's clock is in the matmul rates). */
  scale: number;
  /** The quantized matmul/conv path (null: unquantized, or on a CPU). */
  path: QuantPath | null;
  /** Matmul-like ops in the compute type, and quantized matmul/conv ops (on their 8-bit peak where they have one). */
  plain: MatmulRates;
  quantized: MatmulRates;
  /** Bytes per weight a quantized matmul reads: the 16-bit copy, or the stored weight. */
  quantWeightBytes: number;
  /** Stored bytes per weight of the component's format, and the weight bytes per parameter as stored. */
  stored: number;
  perParam: number;
  /** GroupNorm's statistics pass is costed on CUDA and ROCm. */
  groupNormStats: boolean;
  /** Attention's GEMMs and score traffic add up instead of overlapping (a CPU). */
  serialAttention: boolean;
  /** Bytes/s of activation traffic, and elements/s (for GroupNorm's statistics). */
  rate: number;
  rowRate: number;
  /** A CPU's weight-read rate (cpuWeightRate); null on GPUs, whose roofline overlaps weight reads with compute. */
  weightRate: number | null;
  launch: number;
  flash: boolean;
  /** Bytes per element of materialised attention scores: the compute type's, fp32 on the math path. */
  scoreBytes: number;
}

function opContext(c: ComponentBreakdown, w: Workload, d: Device, rt: Runtime, K: ModelConstants): OpContext {
  const p = c.precision;
  const isCpu = d.backend === 'cpu';
  const ct = isCpu ? 'fp32' : computeType(p, w.model.defaults.precision);
  const actBytes = isCpu ? 4 : computeBytes(p);
  const eff = K.efficiency;
  const clock = matrixClock(d, K);
  const scale = K.backendScale[d.backend] * stackFactor(w, d, K) * rt.efficiencyScale;
  const path = componentQuantPath(c, w, d);
  const stored = PRECISIONS[p].bytesPerParam;
  const rate = (isCpu ? cpuStreamRate(d, K) : bandwidth(d) * eff.bandwidth) * Math.min(1, scale);
  const server = d.segment === 'datacenter' ? K.serverLaunchFactor : 1;
  const peak = peakRate(d, ct);
  // Linear layers, and attention's products where they run as batched GEMMs, follow the run's TF32
  // setting for matmuls; convolutions and fused attention run TF32 either way (see rates.ts).
  const gemm = gemmPeak(d, ct, tf32Matmul(w.software));
  // The math path upcasts q, k and v: its two products run as fp32 GEMMs.
  const math = w.attention === 'math';
  const attentionPeak = w.attention === 'flash' ? peak : math ? gemmPeak(d, 'fp32', tf32Matmul(w.software)) : gemm;
  const plainPeaks = [peak, gemm, peak, attentionPeak];
  const quantPeak = path?.gemm === 'int8' || path?.gemm === 'fp8' ? eightBitPeak(d, path.gemm) : null;
  const cpu = isCpu ? cpuEfficiency(d, K) : null;
  return {
    w,
    K,
    B: c.forwardBatch,
    actBytes,
    scale,
    path,
    plain: matmulRates(plainPeaks, cpu, false, clock, K),
    quantized: matmulRates(
      path ? [peak, quantPeak ?? gemm, quantPeak ?? peak, plainPeaks[ATTENTION]!] : plainPeaks,
      cpu,
      path?.gemm === 'int4',
      clock,
      K,
    ),
    quantWeightBytes: path?.gemm === 'dequantized' ? 2 : stored,
    stored,
    perParam: c.weightBytes / Math.max(1, c.parameters + c.buffers),
    groupNormStats: d.backend === 'cuda' || d.backend === 'rocm',
    serialAttention: isCpu,
    rate,
    rowRate: rate / actBytes,
    weightRate: isCpu ? cpuWeightRate(d, K) * Math.min(1, scale) : null,
    launch: isCpu ? 0 : K.launchSeconds * rt.launchScale * server,
    flash: w.attention === 'flash',
    scoreBytes: math ? 4 : actBytes,
  };
}

/**
 * One forward of each component of a breakdown (the whole forward batch) on a device, and how much
 * of it each bound set (what a denoiser step's `bound` is decided from): per component, in `parts`
 * order, FORWARD_FIELDS numbers at FORWARD_SECONDS, FORWARD_COMPUTE, FORWARD_BANDWIDTH and
 * FORWARD_LAUNCH. Flat numbers rather than objects because a grid over the catalog keeps one per
 * workload and device.
 */
export type Forwards = readonly number[];
const FORWARD_SECONDS = 0;
const FORWARD_COMPUTE = 1;
const FORWARD_BANDWIDTH = 2;
const FORWARD_LAUNCH = 3;
const FORWARD_FIELDS = 4;

/** Kinds of op by how their compute is costed: not at all, or as a matmul-like op on the tensor path. */
const OTHER = 0;
const LINEAR = 1;
const CONV = 2;
const ATTENTION = 3;

/**
 * A component's op groups as flat arrays of the terms of their cost that no device changes: built
 * once per component (its ops and forward batch are fixed), then read by `componentSeconds` for
 * every device, strategy and rung without touching the op objects (whose optional fields give them
 * many shapes).
 */
interface OpTable {
  count: Float64Array;
  /** Weights loaded but never run (a text-to-image VAE's encoder): no time. */
  idle: Uint8Array;
  /** Embedding lookups: they read only the rows they gather (their output), not the whole table. */
  gathers: Uint8Array;
  kind: Uint8Array;
  /** Matmul/conv ops with weights: the only ones stored quantized. */
  quantizable: Uint8Array;
  /** FLOPs of one forward at the forward batch. */
  flops: Float64Array;
  params: Float64Array;
  /** Activation elements read + written for one sample, and for the forward batch. */
  ioElems: Float64Array;
  ioBatchElems: Float64Array;
  /** Kernel launches per op (a group of eager elementwise kernels counts each). */
  launches: Float64Array;
  /** Attention ops: their FlashAttention tile use, and their materialised scores (elements × 4 passes). */
  attention: Uint8Array;
  tileUse: Float64Array;
  scoreElems: Float64Array;
  /** GroupNorm: elements its statistics pass reads, and the forward batch × groups (0 for other ops). */
  statsElems: Float64Array;
  groupRows: Float64Array;
}

const opTables = new WeakMap<ComponentBreakdown, OpTable>();

function opTable(c: ComponentBreakdown): OpTable {
  let t = opTables.get(c);
  if (t) return t;
  const n = c.opGroups.length;
  const B = c.forwardBatch;
  const f = () => new Float64Array(n);
  t = {
    count: f(),
    idle: new Uint8Array(n),
    gathers: new Uint8Array(n),
    kind: new Uint8Array(n),
    quantizable: new Uint8Array(n),
    flops: f(),
    params: f(),
    ioElems: f(),
    ioBatchElems: f(),
    launches: f(),
    attention: new Uint8Array(n),
    tileUse: f(),
    scoreElems: f(),
    statsElems: f(),
    groupRows: f(),
  };
  c.opGroups.forEach(({ op, count }, i) => {
    t!.count[i] = count;
    t!.idle[i] = isIdle(op) ? 1 : 0;
    t!.gathers[i] = op.kind === 'embedding' ? 1 : 0;
    t!.kind[i] =
      op.kind === 'linear' ? LINEAR : op.kind === 'conv' ? CONV : op.kind === 'attention' ? ATTENTION : OTHER;
    t!.quantizable[i] = storedQuantized(op, c.kept) && op.params !== 0 ? 1 : 0;
    t!.flops[i] = 2 * op.macs * (op.ioElems > 0 ? B : 1);
    t!.params[i] = op.params;
    t!.ioElems[i] = op.ioElems;
    t!.ioBatchElems[i] = op.ioElems * B;
    t!.launches[i] = op.launches ?? 1;
    const a = op.attention;
    if (a) {
      t!.attention[i] = 1;
      t!.tileUse[i] = flashTileUse(a);
      // Written, read by softmax, written again, read by the AV product.
      t!.scoreElems[i] = 4 * B * a.heads * a.queries * a.keys;
    }
    if (op.groups) {
      t!.statsElems[i] = (op.ioElems / 2) * B;
      t!.groupRows[i] = B * op.groups;
    }
  });
  opTables.set(c, t);
  return t;
}

/**
 * One forward of a component: per op a roofline, max(compute, memory, launch), plus the
 * quantization library's kernels around the matmul (dequantize, scale, activation quantize); each
 * op's time counted toward the bound that set it. One loop over flat arrays without allocation: it
 * runs for every op of every component on every device a ladder asks about.
 */
/** Writes one component's forward into `out` at `at` (see `Forwards`). */
function componentSeconds(c: ComponentBreakdown, x: OpContext, out: number[], at: number): void {
  const { B, K, scale, actBytes, rate, launch, path: quantPath, flash, rowRate, scoreBytes, weightRate } = x;
  const t = opTable(c);
  const { count, kind, quantizable, flops, params, ioElems, ioBatchElems, attention, tileUse, scoreElems } = t;
  const { statsElems, groupRows, idle, gathers, launches } = t;
  const { plain, quantized } = x;
  const { groupNormStats, serialAttention } = x;
  const groupNormRate = K.groupNormRowElementsPerSecond;
  const weightBytesPlain = x.perParam;
  const weightBytesQuant = x.quantWeightBytes;
  const kernels = quantPath?.kernels ?? [];
  const hostSyncLaunches = quantPath?.hostSync ? launch * (kernels.length + 1) : 0;
  let total = 0;
  let shareCompute = 0;
  let shareBandwidth = 0;
  let shareLaunch = 0;
  for (let i = 0; i < count.length; i++) {
    if (idle[i]) continue;
    const k = kind[i]!;
    const p = params[i]!;
    const quant = quantPath !== null && quantizable[i] === 1;
    let compute = 0;
    if (k !== OTHER) {
      const r = quant ? quantized : plain;
      let e = r.efficiency[k]!;
      if (attention[i] && r.matrix[k] && flash) e *= tileUse[i]!;
      compute = flops[i]! / (r.flops[k]! * e * scale);
    }
    // The matmul reads the weight as stored, or the 16-bit copy the library dequantized it to.
    const weightRead = gathers[i] ? 0 : quant ? p * weightBytesQuant : p * weightBytesPlain;
    // A CPU's GEMM waits for its weights from DRAM, so their read adds to its FLOPs rather than
    // overlapping them (onnxruntime profile: a 3×3 convolution over 4×4 latents ran at 0.34 of the
    // peak and one over 32×32 at 0.79; FLOPs plus weight bytes at a per-core rate give both).
    const cpuWeights = weightRate !== null && (k === LINEAR || k === CONV);
    const weightSeconds = cpuWeights ? weightRead / weightRate : 0;
    let bytes = (cpuWeights ? 0 : weightRead) + ioBatchElems[i]! * actBytes;
    // Materialised attention scores.
    if (attention[i] && !flash) bytes += scoreElems[i]! * scoreBytes;
    let memory = bytes / rate;
    // GroupNorm reads its input once more for the statistics, on one thread block per sample × group.
    if (groupRows[i] && groupNormStats) memory += statsElems[i]! / Math.min(rowRate, groupRows[i]! * groupNormRate);
    let quantSeconds = 0;
    if (quant) {
      for (const q of kernels) {
        const kb = p * (q.weightBytes + (q.stored ? x.stored : 0)) + (q.activationBytes ?? 0) * ioElems[i]! * B;
        quantSeconds += Math.max(kb / rate, launch);
      }
      // After a read-back the GPU waits for the host to launch each following kernel.
      quantSeconds += hostSyncLaunches;
    }
    const n = count[i]!;
    // On a CPU, attention runs as kernels one after another on the same cores (QKᵀ GEMM, softmax, AV
    // GEMM): with a head dimension of 40–64 the GEMMs do ~2 × head-dim FLOPs per score they write or
    // read, too few to hide that traffic, and the softmax pass is pure traffic. Measured on SD 1.5
    // (onnxruntime profile, one thread): attention GEMMs + softmax took 0.58 s of a 5.5 s step at 256²
    // (scores in cache) and ~13 of 29 s at 512² (1 GB score tensors), near GEMM time + score traffic.
    const launchTime = launch * launches[i]!;
    const roof =
      serialAttention && attention[i] ? compute + memory : Math.max(compute + weightSeconds, memory, launchTime);
    const seconds = roof + quantSeconds;
    const base = (seconds - quantSeconds) * n;
    total += seconds * n;
    // Dequantization streams weights: it counts as bandwidth-bound time.
    shareBandwidth += quantSeconds * n;
    // A CPU GEMM held up mostly by its weights' read is bandwidth-bound.
    const top = Math.max(compute, memory, launchTime, weightSeconds);
    if (top === compute) shareCompute += base;
    else if (top === memory || top === weightSeconds) shareBandwidth += base;
    else shareLaunch += base;
  }
  out[at + FORWARD_SECONDS] = total;
  out[at + FORWARD_COMPUTE] = shareCompute;
  out[at + FORWARD_BANDWIDTH] = shareBandwidth;
  out[at + FORWARD_LAUNCH] = shareLaunch;
}

/**
 * The peak a matmul-like op runs at and its efficiency per kind of op (indexed by LINEAR, CONV,
 * ATTENTION): vector ALUs run GEMMs, convolutions and attention alike near their (much lower) peak;
 * the tensor-core share depends on the kind of op; a CPU's on its vector unit (`cpu`).
 */
interface MatmulRates {
  flops: readonly number[];
  matrix: readonly boolean[];
  efficiency: readonly number[];
}

/** From the peak each kind of op runs at (indexed by OTHER, LINEAR, CONV, ATTENTION). */
function matmulRates(
  peaks: readonly Peak[],
  cpu: number | null,
  int4: boolean,
  clock: number,
  K: ModelConstants,
): MatmulRates {
  const eff = K.efficiency;
  const efficiency = [0, eff.linear, eff.conv, eff.attention].map((kindEfficiency, k) => {
    const peak = peaks[k]!;
    const e = cpu ?? (peak.units === 'vector' ? (peak.pseudoHalf ? eff.pseudoHalf : eff.vector) : kindEfficiency);
    return int4 ? e * K.int4GemmEfficiency : e;
  });
  const matrix = peaks.map((p) => p.units === 'matrix');
  return { flops: peaks.map((p, k) => p.flops * (matrix[k] ? clock : 1)), matrix, efficiency };
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
): Forwards {
  const rt = RUNTIMES[runtimeId];
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i]!;
    componentSeconds(c, opContext(c, w, d, rt, K), out, i * FORWARD_FIELDS);
  }
  return out;
}

/** The time of a strategy from the forwards of `parts` (`forwardTimes`): steps, transfers, overheads. */
export function timeFromForwards(
  w: Workload,
  parts: readonly ComponentBreakdown[],
  forwards: Forwards,
  d: Device,
  strategy: Strategy,
  K: ModelConstants = MODEL_CONSTANTS,
): TimeEstimate {
  const link = hostLink(d);
  // Offload copies pageable host memory: the driver stages it through a pinned buffer with a host
  // memcpy, which caps the rate whatever the PCIe generation.
  const linkRate = link === null ? null : Math.min(link * K.hostLinkEfficiency, K.pageableCopyBytesPerSecond);
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
      const at = i * FORWARD_FIELDS;
      const perForward = forwards[at + FORWARD_SECONDS]!;
      seconds += perForward * c.forwardsPerCall;
      if (linkRate !== null) {
        // Model offload moves each component in once per call and back out when the next one is
        // called (accelerate's cpu_offload_with_hook: two copies); sequential offload streams every
        // layer in for every forward (moving it out is a free pointer swap to the CPU copy).
        const rate = linkRate * moveShare(c, w, K);
        if (strategy === 'model-offload') transfer += (2 * c.weightBytes) / rate;
        if (strategy === 'sequential-offload') transfer += (c.weightBytes / rate) * c.forwardsPerCall;
      }
      if (phase === 'denoising') {
        stepSeconds += perForward;
        stepShare.compute += forwards[at + FORWARD_COMPUTE]!;
        stepShare.bandwidth += forwards[at + FORWARD_BANDWIDTH]!;
        stepShare.launch += forwards[at + FORWARD_LAUNCH]!;
        if (strategy === 'sequential-offload' && linkRate !== null)
          stepTransfer += c.weightBytes / (linkRate * moveShare(c, w, K));
      }
    }
    if (phase === 'denoising') seconds += K.stepOverheadSeconds * w.steps;
    phases.push({ phase, seconds: seconds + transfer, transferSeconds: transfer });
  }
  const secondsPerStep = stepSeconds + K.stepOverheadSeconds + stepTransfer;
  const callOverhead = w.software.frontend === 'script' ? K.scriptCallOverheadSeconds : K.callOverheadSeconds;
  const call = phases.reduce((s, p) => s + p.seconds, 0) + callOverhead;
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
