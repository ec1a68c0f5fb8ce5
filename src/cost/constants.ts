/**
 * Every empirical constant of the cost model, each with its reason and the data that set it.
 * Values marked "fit" were chosen by scripts/fit.ts on the training split of data/eval/published.jsonl
 * (three quarters of the rows, by a hash of the row id); the held-out quarter is reported separately
 * by `genready validate`. Nothing here is tuned to a single row.
 */
import type { Backend } from '../catalog/devices.types.ts';

export interface Efficiency {
  /** Fraction of the matrix peak reached by large GEMMs (linear layers). */
  linear: number;
  /** Fraction of the matrix peak reached by convolutions (implicit GEMM in cuDNN/MIOpen). */
  conv: number;
  /** Fraction of the matrix peak reached by fused attention (QKᵀ and AV). */
  attention: number;
  /** Fraction of the DRAM bandwidth reached by streaming kernels (norms, activations, weight reads). */
  bandwidth: number;
  /** Fraction of the vector (non-tensor-core) peak reached by matmul-like ops: fp32 before Ampere, GPUs without matrix units, CPUs. */
  vector: number;
  /** The same for 16-bit tensors on the vector ALUs of GPUs without fast 16-bit math (`Peak.pseudoHalf`). */
  pseudoHalf: number;
}

export interface Runtime {
  id: 'pytorch' | 'compiled' | 'onnxruntime';
  label: string;
  /** Multiplies the kernel efficiencies. */
  efficiencyScale: number;
  /** Multiplies the host-side cost per launched op; a fused graph launches far fewer kernels. */
  launchScale: number;
  reason: string;
}

export interface ModelConstants {
  efficiency: Efficiency;
  backendScale: Record<Backend, number>;
  sustainedClock: { desktop: number; laptop: number; datacenter: number; slotPowered: number };
  launchSeconds: number;
  serverLaunchFactor: number;
  stepOverheadSeconds: number;
  callOverheadSeconds: number;
  scriptCallOverheadSeconds: number;
  reservedActivationFactor: number;
  reservedFixedBytes: number;
  contextBytes: number;
  groupNormRowElementsPerSecond: number;
  hostBaselineBytes: number;
  hostLinkEfficiency: number;
  pageableCopyBytesPerSecond: number;
  quantizedMoveShare: number;
  int4GemmEfficiency: number;
  stack: StackFactors;
  cpu: CpuEfficiency;
  firstImage: FirstImageConstants;
}

/** What happens before the first image (src/cost/first-image.ts): load, conversion, warm-up. */
export interface FirstImageConstants {
  /** Disk read rate for weights not in the page cache (B/s). */
  diskBytesPerSecond: number;
  /** onnxruntime CPU session creation, user time: GEMM/conv weight bytes parsed, copied and repacked per second (MLAS prepacking). */
  cpuRepackBytesPerSecond: number;
  /** onnxruntime CPU session creation: bytes of fresh memory it touches per repacked weight byte (each faulted in once). */
  cpuSessionTouchPerWeightByte: number;
  /** onnxruntime CPU session creation: seconds per op of the graph (parsing, optimisation passes, kernels). */
  cpuSessionSecondsPerOp: number;
  /** Fresh memory the kernel faults in and zeroes per second (4 KiB pages): session creation and the first run's arena. */
  cpuFirstTouchBytesPerSecond: number;
  /** First call on a GPU in a new process: lazy kernel loading, cuBLAS/cuDNN handles, algorithm choice. */
  gpuWarmupSeconds: number;
}

/**
 * CPUs (onnxruntime's MLAS kernels, fp32) by their widest vector unit: share of the FMA peak
 * (cores × lanes × 2 × 2 pipes × clock) that convolutions, GEMMs and attention reach, and share of
 * DRAM bandwidth for streaming ops. Separate from the GPU efficiencies so a GPU refit never moves them.
 */
export interface CpuEfficiency {
  avx512: number;
  avx2: number;
  neon: number;
  /** Share of DRAM bandwidth all cores together reach on streaming ops. */
  bandwidth: number;
  /** Bytes one core streams through elementwise, norm and softmax kernels per clock cycle. */
  streamBytesPerCycle: number;
  /** Bytes of GEMM and convolution weights one core reads from DRAM per clock cycle. */
  weightBytesPerCycle: number;
}

/** Software-stack factors, applied only where the workload names the version (`software`). */
export interface StackFactors {
  /** ROCm before the release that first tuned the GPU's architecture (ROCM_TUNED_SINCE): generic kernels. */
  rocmUntuned: number;
  /** PyTorch MPS before 2.0 (2022 nightlies and 1.12/1.13): many ops fell back or ran unfused. */
  mpsBeforeTorch2: number;
}

/**
 * ROCm release that first shipped tuned GEMM/convolution kernels (hipBLASLt, MIOpen) for an
 * architecture family, by gfx prefix. RDNA4 (gfx12) arrived in ROCm 6.3/6.4 as a preview: users
 * measured a 9070 XT below a 6900 XT on ROCm 6.3 (ComfyUI#7332) and about 4× that on the ROCm 7
 * TheRock builds (ROCm/legacy-rocm-build#4443, #4846; rows M0661, M0663, M0721–M0725).
 */
/** In versionNumber's encoding (major + minor / 100). */
export const ROCM_TUNED_SINCE: Record<string, number> = { gfx12: 7.0 };

/**
 * A PCIe slot delivers at most 75 W (PCI-SIG CEM spec); datacenter cards at or below it (Tesla T4
 * 70 W, L4 72 W) have no auxiliary power connector and hold their whole board, memory included,
 * under that cap: their SM clock under dense matrix load falls far below the rated boost.
 */
export const SLOT_POWER_W = 75;

export const MODEL_CONSTANTS: ModelConstants = {
  /**
   * fit (scripts/fit.ts, 2026-12-03 third refit, run to convergence, training split of the 188 speed rows, after 36 rows
   * were added: AMD and Intel crowd and maintainer benchmarks, Apple MLX and MPS, torchao on an H100;
   * earlier refits followed the transformer blocks' eager elementwise kernels (analyze/dit.ts EAGER),
   * streaming no longer paying the power-capped SM clock, and slot-powered cards' own clock): share of
   * the dense peak reached by eager PyTorch per kind of op. Linear
   * layers are large GEMMs near peak (GeForce cards boost above the rated clock the spec sheets'
   * peaks assume). conv is measured, not fitted: 0.46 puts our own H100/H200 VAE decodes
   * (conv-dominated, data/eval/own-gpu) at predicted/measured 0.87–1.09, median 0.96 (convolutions
   * pay cuDNN's NCHW ↔ channels-last copies; was 0.6 while streaming paid the SM clock too).
   * Fused attention runs below GEMM rate (softmax between the two matmuls) even on full tiles. vector: ops on the vector ALUs (fp32 before Ampere, GPUs without tensor cores),
   * set by the training rows that run there (T4 fp32, V100/TITAN RTX fp32). pseudoHalf: fp16 tensors
   * on the FP32 ALUs of GPUs without fast 16-bit math (Pascal GeForce runs fp16 at 1/64 rate, the P40
   * likewise), where cuBLAS and cuDNN convert on load and run their pseudo-half configurations: fit
   * alone (FIT_ONLY, 2026-12-03) on the 4 training rows that run there (P40, P104-100, GTX 1060),
   * the rest held; the 3 held-out Pascal rows (GTX 1070/1080/1080 Ti) moved from 0.80–0.83 of their
   * measured time to 0.94–0.96. bandwidth: streaming kernels and the dequantization passes of
   * quantized layers.
   */
  efficiency: {
    linear: 1,
    conv: 0.46,
    attention: 0.519,
    bandwidth: 0.778,
    vector: 0.511,
    pseudoHalf: 0.4344,
  } satisfies Efficiency,
  /**
   * Backends relative to CUDA (same kernels, less tuned libraries). rocm and metal fit (2026-12-03; again
   * after the crowd rows of RDNA2/3/4 cards were added, and once more, alone, when scripts got their own
   * call overhead: the AMD and Apple rows driven by scripts moved)
   * each on its own vendor's training rows only (the only rows it moves), with the stack factors
   * (`stack`) taking the rows whose ROCm or PyTorch version predates tuned kernels; oneapi and directml assumed from the Arc rows of
   * measurements.csv. oneapi is not fit on the eight Arc eval rows (M0775, M0812, M0813, M0841–M0845):
   * they pull both ways (M0775, fp32 under IPEX 2.1, ran 1.7× faster than it allows; M0842, SDXL under
   * PyTorch 2.7 XPU, 2.6× slower, most of it a per-call offload its note describes), and what moved
   * the PyTorch XPU rows was the attention SDPA runs as there (attention-run.ts), not a kernel-wide
   * factor. cpu: kept at 1; CPUs take their per-ISA efficiencies (`cpu`).
   */
  backendScale: { cuda: 1, rocm: 0.909, metal: 0.838, oneapi: 0.5, directml: 0.45, cpu: 1 } satisfies Record<
    Backend,
    number
  >,
  /**
   * fit: sustained tensor clock over the spec-sheet boost clock the peak figures assume. GeForce
   * cards boost past their rated clock when power and temperature allow (GPU Boost; desktop 1.07,
   * fit 2026-12-03 with the others held); laptops, workstation boards (an RTX
   * A6000: a full GA102 at 300 W) and datacenter parts hold their power cap under dense matrix load
   * and run below it (an H100 at 700 W); workstation boards share the datacenter value. It scales
   * tensor-core work only (matrixClock in time.ts): FP32 FMA work on the vector ALUs draws less power
   * and stays near boost, and the memory clock does not drop with the SM clock, so streaming
   * kernels keep their bandwidth (a V100's fp32 rows, a P40's, ran 1.3–2× faster than the shared
   * clock let them). slotPowered: datacenter cards at or under the 75 W a PCIe slot delivers (SLOT_POWER_W:
   * Tesla T4, L4), on tensor-core work only (FP32 FMA draws less power); fit on the T4 fp16 training
   * rows, at its lower bound 0.4, which is about the T4's base clock over its boost (585 / 1590 MHz,
   * NVIDIA T4 datasheet): the clock the board guarantees at its power limit.
   */
  sustainedClock: { desktop: 1.07, laptop: 0.856, datacenter: 0.697, slotPowered: 0.4 },
  /** fit: time per launched kernel on the host (eager PyTorch dispatch ≈ 10–25 µs per kernel). */
  launchSeconds: 1.58e-5,
  /**
   * fit: datacenter GPUs sit in servers whose CPUs dispatch slower (lower single-thread clocks,
   * virtualisation); launch-bound work (SD 1.5 at batch 1) runs that much slower there.
   */
  serverLaunchFactor: 2.41,
  /** fit: scheduler step, CFG combine and Python per denoising step. */
  stepOverheadSeconds: 0.000508,
  /**
   * fit: per pipeline call in an app (the default `--frontend`): tokenisation, latent set-up, image
   * post-processing, and what the app adds: saving the PNG with its metadata, previews, hooks.
   */
  callOverheadSeconds: 0.315,
  /**
   * fit: per pipeline call from a script that calls the library and gets the images back (diffusers'
   * and the libraries' own benchmarks, `--frontend script`). OneDiff's diffusers baseline shows how
   * little it is: SD 1.5 on an RTX 4090, 20 steps at 38.3 it/s (0.52 s) and 0.61 s in all, text
   * encoding and VAE decode included. Fit alone on the training split (2026-12-03), the other
   * constants held at their converged values: a full refit with it wandered for 28 rounds (bandwidth
   * efficiency up to 0.93) and ended at a higher training loss (0.2551 against 0.2484), so it was
   * not taken.
   */
  scriptCallOverheadSeconds: 0.17,
  /**
   * measured: caching-allocator growth over the allocated peak, as a share of the growing activations
   * (see growthBytes): the segments of a decoder's smaller earlier stages stay reserved beside the
   * last, about one more activation peak. Our H100 pipelines (data/eval/own-gpu) show 0.98–1.02 for
   * SD 1.5 / SDXL / FLUX VAE decodes at batch 1–16, fp16 and fp32.
   */
  reservedActivationFactor: 1,
  /** fit: fixed slack the caching allocator holds beyond the allocated peak (small-block pools, cuBLAS workspace). */
  reservedFixedBytes: 0.0509e9,
  /** fit: CUDA context, cuDNN/cuBLAS handles and kernels loaded into device memory, seen by nvidia-smi only. */
  contextBytes: 0.884e9,
  /**
   * measured: elements per second one GPU thread block reduces in PyTorch's GroupNorm statistics
   * kernel (RowwiseMoments: a Welford update per element in fp32), which runs one block per sample ×
   * group: 32 blocks for an image decoded alone. H100 profile (PyTorch 2.11, 2026-11-26) of the SD
   * VAE decoder in fp16, 1.84 G norm-input elements either way: 46 ms at 1024² batch 1 (32 rows),
   * 11.7 ms at 512² batch 4 (128 rows): 1.25 G elements/s per row both. An fp32 decode costs about
   * the same there (the update, not the bytes, is the limit). Why a decode alone is slow at high
   * resolution; assumed the same on other CUDA/ROCm GPUs (data/eval/own-gpu/profiles/).
   */
  groupNormRowElementsPerSecond: 1.25e9,
  /** Process baseline in host RAM: Python, torch and the CUDA runtime (≈ 1.5–2.5 GB resident in diffusers runs). */
  hostBaselineBytes: 2e9,
  /**
   * fit, insensitive: share of the PCIe link's rate that offload copies could reach were they not
   * capped by pageableCopyBytesPerSecond (they are on every PCIe 4/5 row; it binds on gen 3 and
   * narrow links). Was 0.085 while it alone stood for the host-side staging.
   */
  hostLinkEfficiency: 0.3,
  /**
   * fit: offload hooks (accelerate's cpu_offload / cpu_offload_with_hook) move pageable tensors;
   * the driver copies them through a pinned staging buffer with a host memcpy, which caps the rate
   * at a few GB/s whatever the PCIe generation (CUDA C Best Practices Guide, "Pinned Memory";
   * bandwidthTest's pageable figures). Fit on the training offload rows: 7.5 GB/s; one sequential
   * SDXL UNet forward on an L40S (M0342, 5.1 GB moved in 0.56 s) needs at least 9 GB/s, the
   * FLUX bf16 model-offload on an H100 (M0741 − M0739: +8 s for ≈ 67 GB moved in and out) 8.4.
   */
  pageableCopyBytesPerSecond: 7.49e9,
  /**
   * fit: share of that rate at which quantized weights move. They are tensor subclasses (torchao
   * AffineQuantizedTensor, quanto QTensor, GGUFParameter) or carry scale tensors, moved tensor by
   * tensor in Python: in the diffusers quantization benchmark on an H100, model offload costs
   * int8 FLUX +11 s over the same run on the device where bf16, twice the bytes, costs +8 s.
   * fp8 casting keeps plain fp8 tensors, which move at the full rate (time.ts `moveShare`).
   */
  quantizedMoveShare: 0.425,
  /**
   * fit (training rows of torchao int4_weight_only and quanto qint4, FLUX and PixArt-Σ on H100):
   * share of the linear efficiency an int4 weight-only GEMM reaches at thousands of tokens. tinygemm
   * (torch._weight_int4pack_mm, which both libraries call for bf16) tiles for decoding a few tokens
   * and unpacks each weight tile again for every 16-row slab of activations; pytorch/ao#3496
   * measured it 6–13× slower than fp16 for batched inputs on an A100.
   */
  int4GemmEfficiency: 0.0413,
  /**
   * fit: stack factors where the row names its version. rocmUntuned: RDNA4 on ROCm 6.3/6.4 rows
   * (M0661, M0663, M0721–M0723, and SD.Next's crowd rows M0779, M0781) against the same card on ROCm 7; mpsBeforeTorch2: the 2022 MPS rows
   * (PyTorch 1.12/1.13 nightlies: M0711, M0713, M0714) against backendScale.metal, which is now set
   * by the PyTorch 2.x rows (M2 Ultra with PyTorch 2.1, M1 Max Nov 2023).
   */
  stack: { rocmUntuned: 0.178, mpsBeforeTorch2: 0.638 },
  /**
   * CPUs, measured on SD 1.5's three graphs (random weights, onnxruntime 1.30 CPU, fp32). The peak
   * is cores × vector lanes × 2 (FMA) × 2 pipes × clock (src/catalog/cpu.ts), at the clock the
   * probe measures (src/probe/clock.ts; 3 GHz where it cannot); a core-cycle is one core for one
   * clock cycle (cpuCoreGHz in time.ts).
   *
   * A GEMM or convolution costs its FLOPs at a share of that peak plus its weight bytes read from
   * DRAM, one after the other; streaming ops (norms, elementwise, softmax) move a fixed number of
   * bytes per core-cycle. `npx tsx bench/cpu-profile.ts [--threads 1]` measures all three from
   * onnxruntime's per-node profile, fitting every GEMM node of the three graphs at once (FLOPs and
   * weights from its shapes). On a 2-core Xeon with AVX-512 and AMX (2026-12-04, clock read
   * 3.69–3.79 GHz): efficiency 0.77 on two threads and 0.76 on one; weights 2.83 and 2.52 bytes per
   * core-cycle; streaming 1.24–1.53 and 1.44–1.75 bytes per core-cycle over the three graphs.
   *
   * Why weights add rather than overlap: the profile's 3×3 convolutions over 32×32 latents ran at
   * 0.79 of the peak, over 16×16 at 0.73, 8×8 at 0.61 and 4×4 at 0.34; the smaller the grid, the
   * fewer FLOPs each weight byte carries (16 at 4×4), and the sum of the two terms follows all four.
   * A roofline's max(compute, weights) put 8×8 at 0.76 of its time. The VAE's convolutions, whose
   * weights carry thousands of FLOPs a byte, ran at 0.83–0.85 of the peak.
   *
   * Why streaming is per core-cycle, not per FLOP: the earlier law scaled it with the vector peak
   * (0.042 bytes a FLOP, from a Zen 3 core streaming ~4 GB/s at 2.95 GHz, 1.36 bytes a cycle). The
   * Xeon's 512-bit cores stream 1.2–1.8 bytes a cycle, not the 2.7 that law gave them; its AVX-512
   * efficiency was then set at 0.68 to absorb the difference, which made the VAE (streaming-heavy)
   * and the text encoder (GEMM-heavy) err in opposite directions.
   *
   * avx512: the profile's 0.76–0.77. Out of the fit: the phase totals kept in
   * data/eval/own-cpu.jsonl (`genready validate` compares them), 30 on that Xeon over ten runs,
   * both thread counts, 256² and 512², five of them SD 2.1 and SDXL (architectures measured for
   * nothing here: 0.97–1.03, where the earlier model had 0.87–1.05), are predicted at 0.85–1.13 of
   * measured, 4.2 % median and 13.2 % p90 error; text encoding 0.95–1.13 (0.82–0.89 before). Each run's clock reading moves its prediction with it: the host
   * moves the clock with its other tenants' load (src/probe/clock.ts), 3.59–4.09 GHz this day. The
   * worst, the VAE at 512² (0.85–0.88), streams its 134 MB tensors at 0.9 bytes a core-cycle, not
   * 1.4: they no longer stay in cache, which the model does not know the size of.
   * avx2: fit on the Zen 3 EPYC's two phase totals (data/measurements.md: UNet step 5.53 and VAE
   * decode 8.41 CPU-s on one core at 2.95 GHz), predicted at 1.00 and 0.98 with the shared weight
   * and streaming rates. Above AVX-512's share: heavy 512-bit FMA code runs at a lower licence clock
   * than the scalar clock the probe reads (an unrolled FMA loop on that Xeon ran 239 GFLOP/s per
   * core with AVX-512, 3.74 GHz × 64, and 127 with AVX2, 3.98 GHz × 32).
   * neon: assumed equal to AVX2's (no Arm CPU measured; two FMA pipes per core alike).
   * bandwidth: share of DRAM bandwidth all cores reach, the ceiling of both per-core rates.
   */
  cpu: { avx512: 0.76, avx2: 0.86, neon: 0.86, bandwidth: 0.72, streamBytesPerCycle: 1.5, weightBytesPerCycle: 2.6 },
  /**
   * Before the first image (src/cost/first-image.ts). diskBytesPerSecond assumed: an NVMe SSD read
   * through the page cache, 1.5 GB/s; with the host-link copy below it reproduces the one published
   * cold load we found, safetensors' default path loading Qwen3-30B-A3B (61 GB bf16) onto one H200
   * in 57.4 s, 1.1 GB/s (vLLM docs, "Loading Model Weights with InstantTensor", benchmark table):
   * 40.7 s read + 11.3 s copy = 52 s. onnxruntime's CPU session creation (one thread, files in the
   * page cache) is user time per op of the graph (parsing, optimisation passes, kernel creation) and
   * per byte of fp32 GEMM/convolution weights it copies and repacks for MLAS, plus system time for
   * the fresh memory those copies land in: bench/cpu-session.ts counts the page faults. On SD 1.5's
   * three graphs at 256² (this 2-vCPU Xeon VM) the user time is 0.73–0.91 s per repacked GB
   * (cpuRepackBytesPerSecond 1.33 GB/s), and its copies fault in 2.7–4.1 bytes of fresh pages per
   * repacked byte (file buffer, initializer, packed copy; 2.7 for the UNet, which holds most of the
   * bytes: cpuSessionTouchPerWeightByte 2.8). The faults are most of the time: the UNet (536 ops,
   * 3.44 GB) took 2.5–2.7 s user and 4.3–13.6 s system. A second session in the same process faults
   * most of its pages again (onnxruntime hands large buffers back to the kernel).
   * cpuSessionSecondsPerOp: the example model's graphs (`genready run --example`,
   * bench/first-image.ts: 1.5 M parameters) took 0.21–0.34 s for the tiny UNet's 221 ops, 0.03–0.05
   * s for its VAE's 55: ~1 ms per op. cpuFirstTouchBytesPerSecond measured (bench/cpu-session.ts): the
   * system time per fault of the UNet's session creations, the bulk of the bytes, was 1.9–5.9 µs,
   * median 4.2 µs a 4 KiB page: 1.0 GB/s. A small fresh buffer faults faster here (1.4–2.0 µs) where
   * the hypervisor has backed the memory before; gigabytes it must back first cost it 5–11 µs a page.
   * Bare-metal kernels fault faster still; a VM's figure moves with its host. The first onnxruntime
   * run faults in its arena's activation pages at the same rate; bench/cpu-sd15.ts shows the first
   * run against the steady one. Together the three give 0.28 GB/s per repacked byte (the one rate
   * used before, 0.33 GB/s, was the UNet's total on a Zen 3 core), and the SD 1.5 UNet's session
   * 12.8 s against 7.5–16.4 s measured in fresh processes here.
   * PyTorch maps safetensors without conversion instead (diffusers docs v0.13, "Load safetensors":
   * SD 2.1 from_pretrained in 2.03 s on an EPYC 7742), which is why the GPU path has only the copy.
   * gpuWarmupSeconds measured: the first forward in each of our
   * PyTorch processes on the lent H100/H200 (data/eval/own-gpu) took 0.5–5.7 s more than the steady
   * one, median 1.1 s (lazy CUDA module loading, cuBLAS/cuDNN handles, algorithm choice).
   */
  firstImage: {
    diskBytesPerSecond: 1.5e9,
    cpuRepackBytesPerSecond: 1.33e9,
    cpuSessionTouchPerWeightByte: 2.8,
    cpuSessionSecondsPerOp: 1e-3,
    cpuFirstTouchBytesPerSecond: 1.0e9,
    gpuWarmupSeconds: 1.1,
  },
};

export const RUNTIMES: Record<Runtime['id'], Runtime> = {
  pytorch: {
    id: 'pytorch',
    label: 'PyTorch eager (diffusers, ComfyUI, A1111)',
    efficiencyScale: 1,
    launchScale: 1,
    reason: 'the default: what the validation rows measured',
  },
  onnxruntime: {
    id: 'onnxruntime',
    label: 'onnxruntime (genready run and bench)',
    efficiencyScale: 1,
    launchScale: 1,
    reason:
      "genready's own runner. On a CPU it is what the CPU constants were measured with (bench/cpu-sd15.ts runs onnxruntime), so the default scale; on GPUs not yet measured, taken as PyTorch eager's",
  },
  compiled: {
    id: 'compiled',
    label: 'compiled graph (TensorRT-like)',
    efficiencyScale: 1.45,
    launchScale: 0.1,
    reason:
      'fused kernels and no Python dispatch; scale from the TensorRT vs PyTorch pairs in measurements.csv (SDXL on A100/H100 model cards, stable-fast README)',
  },
};

export interface ConstantNote {
  /** Dotted path into ModelConstants, e.g. `efficiency.conv`. */
  name: string;
  unit: string;
  /** How the value was set: fitted on the training split, measured here, or assumed. */
  setBy: 'fit' | 'measured' | 'assumed';
  reason: string;
}

/** One line per constant, for `genready constants`: what it is, how it was set, why. */
export const CONSTANT_NOTES: readonly ConstantNote[] = [
  {
    name: 'efficiency.linear',
    unit: 'of peak',
    setBy: 'fit',
    reason: 'large GEMMs of linear layers on tensor cores, eager PyTorch',
  },
  {
    name: 'efficiency.conv',
    unit: 'of peak',
    setBy: 'measured',
    reason:
      'cuDNN implicit-GEMM convolutions pay layout copies; set by our own H100/H200 VAE decodes (data/eval/own-gpu)',
  },
  {
    name: 'efficiency.attention',
    unit: 'of peak',
    setBy: 'fit',
    reason: 'fused attention runs below GEMM rate (softmax between the two matmuls)',
  },
  {
    name: 'efficiency.bandwidth',
    unit: 'of peak',
    setBy: 'fit',
    reason: 'streaming kernels (norms, activations, weight reads) against DRAM bandwidth',
  },
  {
    name: 'efficiency.vector',
    unit: 'of peak',
    setBy: 'fit',
    reason: 'matmul-like ops on vector ALUs (fp32 before Ampere, no tensor cores); 5 training rows run there',
  },
  {
    name: 'efficiency.pseudoHalf',
    unit: 'of peak',
    setBy: 'fit',
    reason:
      'fp16 on GPUs without fast 16-bit math (Pascal): cuBLAS/cuDNN pseudo-half kernels convert on load; fit alone on the 4 training rows that run there (P40, P104-100, GTX 1060)',
  },
  {
    name: 'backendScale.rocm',
    unit: '× CUDA',
    setBy: 'fit',
    reason: 'ROCm kernels (MIOpen, hipBLASLt) against CUDA on the AMD training rows',
  },
  {
    name: 'backendScale.metal',
    unit: '× CUDA',
    setBy: 'fit',
    reason:
      'PyTorch 2.x MPS against CUDA kernels: the M2 Ultra (PyTorch 2.1, MLX README) and M1 Max (Nov 2023) training rows',
  },
  {
    name: 'backendScale.oneapi',
    unit: '× CUDA',
    setBy: 'assumed',
    reason:
      'from the Arc rows of measurements.csv; not fit on the 8 Arc eval rows, which pull both ways (M0775, fp32 under IPEX 2.1: 1.7× faster than it allows; M0842, SDXL on PyTorch 2.7 XPU: 2.6× slower)',
  },
  {
    name: 'backendScale.directml',
    unit: '× CUDA',
    setBy: 'assumed',
    reason: 'from the Arc rows of measurements.csv; DirectML generic kernels',
  },
  {
    name: 'backendScale.cpu',
    unit: '× CUDA',
    setBy: 'measured',
    reason:
      'kept at 1: CPU op rates come from their own per-ISA efficiencies (cpu.*), measured by bench/cpu-sd15.ts, not from the GPU fit',
  },
  {
    name: 'sustainedClock.desktop',
    unit: '× boost',
    setBy: 'fit',
    reason:
      'GeForce desktop cards sustain a clock above their rated boost under matrix load; the GeForce rows ran 10–30 % faster than the rated peak allowed',
  },
  {
    name: 'sustainedClock.laptop',
    unit: '× boost',
    setBy: 'fit',
    reason: 'laptop parts hold their power cap under dense matrix load',
  },
  {
    name: 'sustainedClock.datacenter',
    unit: '× boost',
    setBy: 'fit',
    reason: 'datacenter and workstation boards run at their power cap (an H100 at 700 W, an RTX A6000 at 300 W)',
  },
  {
    name: 'sustainedClock.slotPowered',
    unit: '× boost',
    setBy: 'fit',
    reason:
      'datacenter cards under the 75 W a PCIe slot delivers (T4, L4) run tensor-core work near their base clock (T4: 585 of 1590 MHz)',
  },
  {
    name: 'launchSeconds',
    unit: 's/op',
    setBy: 'fit',
    reason: 'eager PyTorch dispatch per launched kernel (≈ 10–25 µs)',
  },
  {
    name: 'serverLaunchFactor',
    unit: '×',
    setBy: 'fit',
    reason: 'server CPUs dispatch slower (lower single-thread clocks, virtualisation)',
  },
  {
    name: 'stepOverheadSeconds',
    unit: 's/step',
    setBy: 'fit',
    reason: 'scheduler step, CFG combine and Python per denoising step',
  },
  {
    name: 'callOverheadSeconds',
    unit: 's/call',
    setBy: 'fit',
    reason:
      'per pipeline call in an app: tokenisation, latent set-up, image post-processing, and saving the image with its metadata, previews, hooks',
  },
  {
    name: 'scriptCallOverheadSeconds',
    unit: 's/call',
    setBy: 'fit',
    reason: 'per pipeline call from a script that calls the library and takes the images back (--frontend script)',
  },
  {
    name: 'hostLinkEfficiency',
    unit: 'of PCIe',
    setBy: 'fit',
    reason: 'share of the PCIe rate offload copies could reach; the pageable-copy cap binds first on PCIe 4/5',
  },
  {
    name: 'pageableCopyBytesPerSecond',
    unit: 'B/s',
    setBy: 'fit',
    reason: 'offload copies pageable memory through a pinned staging buffer: a host memcpy caps them at a few GB/s',
  },
  {
    name: 'quantizedMoveShare',
    unit: '× pageable rate',
    setBy: 'fit',
    reason: 'quantized weights (tensor subclasses, scale tensors) move tensor by tensor in Python',
  },
  {
    name: 'reservedActivationFactor',
    unit: '× growing activations',
    setBy: 'measured',
    reason:
      'the caching allocator keeps the segments of smaller earlier stages: reserved − allocated ≈ 1.0 × the decode activations (own H100 runs)',
  },
  {
    name: 'reservedFixedBytes',
    unit: 'B',
    setBy: 'fit',
    reason: 'small-block pools and cuBLAS workspace the allocator holds',
  },
  {
    name: 'contextBytes',
    unit: 'B',
    setBy: 'fit',
    reason: 'CUDA context, library handles and kernels: seen by nvidia-smi, not by the allocator',
  },
  {
    name: 'groupNormRowElementsPerSecond',
    unit: 'elements/s per sample × group',
    setBy: 'measured',
    reason:
      'GroupNorm statistics run one thread block per sample × group: a decode at batch 1 reads its norm inputs on 32 blocks (H100 profile)',
  },
  {
    name: 'int4GemmEfficiency',
    unit: '× linear efficiency',
    setBy: 'fit',
    reason:
      'int4 weight-only GEMMs (tinygemm in torchao and quanto) are built for decoding a few tokens; at thousands of image tokens they run far below the 16-bit GEMM (pytorch/ao#3496: 6–13× slower batched)',
  },
  {
    name: 'stack.rocmUntuned',
    unit: '× rocm scale',
    setBy: 'fit',
    reason:
      'a ROCm release older than the first with tuned kernels for the GPU architecture runs generic kernels (RDNA4 before ROCm 7: 9070 XT rows on ROCm 6.3/6.4)',
  },
  {
    name: 'stack.mpsBeforeTorch2',
    unit: '× metal scale',
    setBy: 'fit',
    reason:
      'PyTorch MPS before 2.0 (2022 releases) ran many ops unfused or on CPU fallbacks; the 2022 Apple rows name it',
  },
  {
    name: 'cpu.avx512',
    unit: 'of FMA peak',
    setBy: 'measured',
    reason:
      'MLAS fp32 GEMMs and convolutions on AVX-512 cores: bench/cpu-profile.ts on a 2-core Xeon, 0.77 on two threads and 0.76 on one, fitted over every GEMM node with the weights term; the kept phase totals (data/eval/own-cpu.jsonl), never fitted, at 0.85–1.13',
  },
  {
    name: 'cpu.avx2',
    unit: 'of FMA peak',
    setBy: 'fit',
    reason:
      'MLAS fp32 on AVX2 cores: the Zen 3 EPYC one-core UNet step and VAE decode (bench/cpu-sd15.ts --cpu-time) with the shared weight and streaming rates; above AVX-512 for its lower licence clock',
  },
  {
    name: 'cpu.neon',
    unit: 'of FMA peak',
    setBy: 'assumed',
    reason:
      'no Arm CPU measured: taken equal to the AVX2 share (same 2 × 128/256-bit FMA pipe structure per lane count)',
  },
  {
    name: 'cpu.bandwidth',
    unit: 'of DRAM peak',
    setBy: 'measured',
    reason: 'streaming ops (norms, activations) with all cores: the share the Xeon bench runs were consistent with',
  },
  {
    name: 'cpu.streamBytesPerCycle',
    unit: 'B per core-cycle',
    setBy: 'measured',
    reason:
      "norm, elementwise and softmax kernels: bench/cpu-profile.ts, the model's bytes over onnxruntime's time outside GEMMs and attention, 1.24–1.75 on a Xeon (AVX-512); an earlier profile of one Zen 3 core (AVX2) streamed ~4 GB/s at 2.95 GHz, 1.36: not scaling with vector width",
  },
  {
    name: 'cpu.weightBytesPerCycle',
    unit: 'B per core-cycle',
    setBy: 'measured',
    reason:
      'GEMM and convolution weights read from DRAM before the cores use them: bench/cpu-profile.ts fit over every GEMM node, 2.52 (one thread) and 2.83 (two) on a Xeon; what makes a 3×3 convolution over 4×4 latents run at 0.34 of the peak',
  },
  {
    name: 'firstImage.diskBytesPerSecond',
    unit: 'B/s',
    setBy: 'assumed',
    reason:
      'NVMe SSD read through the page cache; with the host-link copy it gives 52 s for the 57.4 s safetensors cold load of 61 GB onto an H200 (vLLM InstantTensor table)',
  },
  {
    name: 'firstImage.cpuRepackBytesPerSecond',
    unit: 'B/s',
    setBy: 'measured',
    reason:
      'onnxruntime CPU session creation, user time, one thread: 0.73–0.91 s per GB of GEMM/conv weights parsed, copied and repacked for MLAS (bench/cpu-session.ts, SD 1.5’s three graphs)',
  },
  {
    name: 'firstImage.cpuSessionTouchPerWeightByte',
    unit: 'B/B',
    setBy: 'measured',
    reason:
      'fresh memory onnxruntime’s session creation faults in per repacked weight byte (file buffer, initializer, packed copy): 2.7–4.1 on SD 1.5’s three graphs, 2.7 on the UNet that holds most of the bytes (bench/cpu-session.ts, minor page faults)',
  },
  {
    name: 'firstImage.cpuSessionSecondsPerOp',
    unit: 's/op',
    setBy: 'measured',
    reason:
      'onnxruntime CPU session creation per graph op (parsing, optimisation passes, kernels): the example model’s tiny UNet, 221 ops in 0.21–0.34 CPU-s',
  },
  {
    name: 'firstImage.cpuFirstTouchBytesPerSecond',
    unit: 'B/s',
    setBy: 'measured',
    reason:
      'kernel-zeroed 4 KiB pages faulted in per second: median 4.2 µs a page (1.9–5.9) in the SD 1.5 UNet’s session creations on a KVM guest, which backs fresh gigabytes lazily (bench/cpu-session.ts); small buffers 1.4–2.0 µs',
  },
  {
    name: 'firstImage.gpuWarmupSeconds',
    unit: 's',
    setBy: 'measured',
    reason:
      'first forward of a PyTorch process over the steady one on our H100/H200 runs (data/eval/own-gpu): 0.5–5.7 s, median 1.1 s',
  },
  {
    name: 'hostBaselineBytes',
    unit: 'B',
    setBy: 'assumed',
    reason: 'Python, torch and the CUDA runtime resident in host RAM (≈ 1.5–2.5 GB in diffusers runs)',
  },
];

/** The value at a dotted path of the constants. */
export function constantValue(K: ModelConstants, name: string): number {
  const v = name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], K);
  if (typeof v !== 'number') throw new Error(`no constant ${name}`);
  return v;
}
