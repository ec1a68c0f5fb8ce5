/**
 * Weight formats: bytes per parameter (with the format's own scale overhead) and the 16-bit compute
 * type they run in; and, for the quantized formats, how each quantization library runs a layer
 * (`QUANT_PATHS`): which kernels it launches around the matmul, what they read and write, and which
 * units run the matmul. Stored small is not run small: most libraries dequantize every weight to a
 * 16-bit copy on every forward, which costs memory traffic and kernel launches, not less of them.
 */
import { WorkloadError } from '../catalog/errors.ts';
import type { Precision, Role } from '../catalog/models.types.ts';

export interface PrecisionInfo {
  /** Stored bytes per weight, including block scales. */
  bytesPerParam: number;
  /** Why that number. */
  layout: string;
  /** Compute type; `auto` = the model's 16-bit default (fp16 or bf16). */
  compute: 'fp32' | 'fp16' | 'bf16' | 'auto';
}

export const PRECISIONS: Record<Precision, PrecisionInfo> = {
  fp32: { bytesPerParam: 4, layout: 'IEEE float32', compute: 'fp32' },
  fp16: { bytesPerParam: 2, layout: 'IEEE float16', compute: 'fp16' },
  bf16: { bytesPerParam: 2, layout: 'bfloat16', compute: 'bf16' },
  fp8: { bytesPerParam: 1, layout: 'float8 e4m3, per-tensor scale', compute: 'auto' },
  int8: { bytesPerParam: 1 + 2 / 4096, layout: 'int8, per-channel 16-bit scale', compute: 'auto' },
  q8_0: {
    bytesPerParam: 34 / 32,
    layout: 'GGUF Q8_0: 32 int8 + fp16 scale per block',
    compute: 'auto',
  },
  // Without double quantization: `bnb_4bit_use_double_quant` is off by default in diffusers' and
  // transformers' BitsAndBytesConfig (diffusers src/diffusers/quantizers/quantization_config.py), and
  // Forge's flux1-dev-bnb-nf4 v2, the one its model card says to use, turned it off too (its absmax
  // per 64 in fp32, 0.5 GB more than v1; lllyasviel/flux1-dev-bnb-nf4, Forge discussion #981).
  // Double quantization (8-bit absmax with an fp32 scale per 256 blocks) would save 0.047 bytes per
  // weight.
  nf4: {
    bytesPerParam: 0.5 + 4 / 64,
    layout: 'bitsandbytes NF4: 4 bit, fp32 absmax per block of 64',
    compute: 'auto',
  },
  int4: {
    bytesPerParam: 0.5 + 4 / 128,
    layout: 'int4, group 128 with 16-bit scale and zero point',
    compute: 'auto',
  },
  q4_0: {
    bytesPerParam: 18 / 32,
    layout: 'GGUF Q4_0: 32 × 4 bit + fp16 scale per block',
    compute: 'auto',
  },
  q4_1: {
    bytesPerParam: 20 / 32,
    layout: 'GGUF Q4_1: 32 × 4 bit + fp16 scale and min per block',
    compute: 'auto',
  },
  q4_k: {
    bytesPerParam: 144 / 256,
    layout: 'GGUF Q4_K: 4.5 bits per weight (256-weight super-blocks)',
    compute: 'auto',
  },
  q2_k: { bytesPerParam: 84 / 256, layout: 'GGUF Q2_K: 2.625 bits per weight', compute: 'auto' },
};

export const PRECISION_NAMES = Object.keys(PRECISIONS) as Precision[];

export function isPrecision(x: string): x is Precision {
  return Object.hasOwn(PRECISIONS, x);
}

/** Bytes of one activation element in the compute type. */
export function computeBytes(p: Precision): number {
  return PRECISIONS[p].compute === 'fp32' ? 4 : 2;
}

/** The compute type a weight format runs in, given the model's 16-bit default. */
export function computeType(p: Precision, modelDefault: Precision): 'fp32' | 'fp16' | 'bf16' {
  const c = PRECISIONS[p].compute;
  if (c !== 'auto') return c;
  return modelDefault === 'bf16' ? 'bf16' : 'fp16';
}

/** Weight formats that apply only to matmul/conv weights; norms, biases, embeddings stay 16-bit. */
export const isQuantized = (p: Precision) => PRECISIONS[p].compute === 'auto';

/**
 * The library that runs a quantized layer (`--quant-backend`). `cast` is plain per-layer upcasting
 * of fp8-stored weights (diffusers layerwise casting, ComfyUI's fp8 checkpoints, BFL's fp8
 * weight-only code); `fp8-native` multiplies in fp8 on the tensor cores (torchao float8 dynamic,
 * ComfyUI `--fast`, flux-fp8-api) where the GPU has them.
 */
export type QuantBackend = 'bnb' | 'quanto' | 'torchao' | 'gguf' | 'fp8-native' | 'cast';
export const QUANT_BACKENDS: readonly QuantBackend[] = ['bnb', 'quanto', 'torchao', 'gguf', 'fp8-native', 'cast'];

/** One kernel a quantized layer launches per forward besides its matmul; each costs max(bytes / bandwidth, one launch). */
export interface QuantKernel {
  /** Bytes read + written per weight element; `stored` adds the format's stored bytes per weight (the kernel reads the packed weight). */
  weightBytes: number;
  stored?: true;
  /** Bytes read + written per activation element the layer touches (its `ioElems`). */
  activationBytes?: number;
}

/**
 * What runs the matmul: the 16-bit tensor path on a dequantized copy (reads 2 B per weight), the
 * int8 or fp8 tensor path on the stored weights, or an int4 kernel that unpacks inside the GEMM
 * (tinygemm, quanto's int4) and is built for decoding a few tokens, not thousands.
 */
export type QuantGemm = 'dequantized' | 'int8' | 'fp8' | 'int4';

export interface QuantPath {
  kernels: readonly QuantKernel[];
  gemm: QuantGemm;
  /**
   * The layer reads a data-dependent size back to the host (LLM.int8's outlier columns): the GPU
   * drains, so the layer's launches add up instead of hiding behind earlier kernels.
   */
  hostSync: boolean;
  /** Where the kernel list comes from. */
  source: string;
}

/** A launch-only kernel: scale tensors and other per-block metadata, tiny beside the weight. */
const TINY: QuantKernel = { weightBytes: 0 };
const tiny = (n: number): QuantKernel[] => Array.from({ length: n }, () => TINY);
/** Unpack packed weights to a full-size 16-bit copy in one kernel. */
const UNPACK_TO_16: QuantKernel = { weightBytes: 2, stored: true };

const CAST: QuantPath = {
  kernels: [UNPACK_TO_16],
  gemm: 'dequantized',
  hostSync: false,
  source: 'one .to(dtype) per layer (diffusers hooks/layerwise_casting.py; ComfyUI ops.cast_bias_weight)',
};

/** GGUF in diffusers (quantizers/gguf/utils.py) and ComfyUI-GGUF's torch path (dequant.py): one torch op per line, each a kernel over the whole weight. */
const GGUF: Partial<Record<Precision, QuantPath>> = {
  // d * x: int8 read, 16-bit written; the fp16 scale column cast separately.
  q8_0: { kernels: [UNPACK_TO_16, ...tiny(1)], gemm: 'dequantized', hostSync: false, source: 'dequantize_blocks_Q8_0' },
  // >> (packed → uint8, 1 B), & 0x0F (1 → 1), .to(int8) (1 → 1), − 8 (1 → 1), d * qs (1 → 2); d cast.
  q4_0: {
    kernels: [
      { weightBytes: 1, stored: true },
      { weightBytes: 2 },
      { weightBytes: 2 },
      { weightBytes: 2 },
      { weightBytes: 3 },
      ...tiny(1),
    ],
    gemm: 'dequantized',
    hostSync: false,
    source: 'dequantize_blocks_Q4_0',
  },
  // >>, & 0x0F, d * qs (1 → 2), + m (2 → 2); d and m cast.
  q4_1: {
    kernels: [{ weightBytes: 1, stored: true }, { weightBytes: 2 }, { weightBytes: 3 }, { weightBytes: 4 }, ...tiny(2)],
    gemm: 'dequantized',
    hostSync: false,
    source: 'dequantize_blocks_Q4_1',
  },
  // >>, & 0x0F, d * qs, − dm; get_scale_min's eight small ops, d/dmin casts and products.
  q4_k: {
    kernels: [
      { weightBytes: 1, stored: true },
      { weightBytes: 2 },
      { weightBytes: 3 },
      { weightBytes: 4 },
      ...tiny(12),
    ],
    gemm: 'dequantized',
    hostSync: false,
    source: 'dequantize_blocks_Q4_K + get_scale_min',
  },
  // >> shift, & 3, dl * qs, − ml; scale nibbles, d/dmin casts and products.
  q2_k: {
    kernels: [{ weightBytes: 1, stored: true }, { weightBytes: 2 }, { weightBytes: 3 }, { weightBytes: 4 }, ...tiny(6)],
    gemm: 'dequantized',
    hostSync: false,
    source: 'dequantize_blocks_Q2_K',
  },
};

const INT4_KERNEL: QuantPath = {
  kernels: [],
  gemm: 'int4',
  hostSync: false,
  source:
    'int4 weight-only GEMM unpacking inside the kernel (torch._weight_int4pack_mm "tinygemm"; quanto TinyGemm/Marlin)',
};

/**
 * How each library runs each format it supports (bf16/fp16 activations, eager PyTorch, no
 * torch.compile). A format a library does not support is an error, not a guess.
 */
export const QUANT_PATHS: Record<QuantBackend, Partial<Record<Precision, QuantPath>>> = {
  bnb: {
    // Linear4bit: dequantize_4bit (one kernel, packed → 16-bit, reading the fp32 absmax; no nested
    // absmax to dequantize first without double quantization), then F.linear.
    nf4: {
      kernels: [UNPACK_TO_16],
      gemm: 'dequantized',
      hostSync: false,
      source: 'bitsandbytes matmul_4bit for inputs of more than one row (functional.dequantize_4bit)',
    },
    // LLM.int8 (threshold 6): cast to fp16, row-wise int8 quantisation of the input with outlier
    // columns found (read back to the host), int8 GEMM to int32, mm_dequant to 16-bit, the outlier
    // columns' fp16 matmul added back, bias.
    int8: {
      kernels: [
        { weightBytes: 0, activationBytes: 2 },
        { weightBytes: 0, activationBytes: 1.5 },
        { weightBytes: 0, activationBytes: 5 },
        { weightBytes: 0, activationBytes: 2 },
        ...tiny(4),
      ],
      gemm: 'int8',
      hostSync: true,
      source: 'bitsandbytes MatMul8bitLt (int8_vectorwise_quant, int8_linear_matmul, int8_mm_dequant, outlier matmul)',
    },
  },
  quanto: {
    // Weight-only qint8/qfloat8: dequantize() = stored → 16-bit, × scale; then the 16-bit matmul.
    int8: {
      kernels: [UNPACK_TO_16, { weightBytes: 4 }],
      gemm: 'dequantized',
      hostSync: false,
      source: 'optimum-quanto WeightQBytesTensor.dequantize + matmul',
    },
    fp8: {
      kernels: [UNPACK_TO_16, { weightBytes: 4 }],
      gemm: 'dequantized',
      hostSync: false,
      source: 'optimum-quanto WeightQBytesTensor.dequantize + matmul',
    },
    int4: INT4_KERNEL,
  },
  torchao: {
    // int8/float8 weight-only without compile: the weight converted to 16-bit, matmul, output × scale.
    int8: {
      kernels: [UNPACK_TO_16, { weightBytes: 0, activationBytes: 2 }],
      gemm: 'dequantized',
      hostSync: false,
      source: 'torchao AffineQuantizedTensor linear for int8/float8 weight-only (eager)',
    },
    fp8: {
      kernels: [UNPACK_TO_16, { weightBytes: 0, activationBytes: 2 }],
      gemm: 'dequantized',
      hostSync: false,
      source: 'torchao AffineQuantizedTensor linear for int8/float8 weight-only (eager)',
    },
    int4: INT4_KERNEL,
  },
  gguf: GGUF,
  // Dynamic per-tensor fp8 activations: amax reduction and scaled cast of the input, then _scaled_mm.
  'fp8-native': {
    fp8: {
      kernels: [{ weightBytes: 0, activationBytes: 1 }, { weightBytes: 0, activationBytes: 1.5 }, ...tiny(1)],
      gemm: 'fp8',
      hostSync: false,
      source:
        'torch._scaled_mm with dynamic activation scales (torchao float8 dynamic, ComfyUI fp8_linear, flux-fp8-api)',
    },
  },
  cast: { fp8: CAST },
};

/** The library assumed for a format when none is named: what its checkpoints are usually run with. */
export const DEFAULT_QUANT_BACKEND: Partial<Record<Precision, QuantBackend>> = {
  fp8: 'cast',
  int8: 'bnb',
  nf4: 'bnb',
  int4: 'torchao',
  q8_0: 'gguf',
  q4_0: 'gguf',
  q4_1: 'gguf',
  q4_k: 'gguf',
  q2_k: 'gguf',
};

/**
 * The quantization library for a denoiser format: the one asked for, or the format's usual one;
 * null for unquantized formats. A library that cannot run the format is a WorkloadError.
 */
export function resolveQuantBackend(p: Precision, asked?: string): QuantBackend | null {
  if (asked === undefined || asked === '') return isQuantized(p) ? DEFAULT_QUANT_BACKEND[p]! : null;
  const b = asked.toLowerCase() as QuantBackend;
  if (!QUANT_BACKENDS.includes(b))
    throw new WorkloadError(
      'bad-quant-backend',
      `unknown --quant-backend "${asked}"; use one of ${QUANT_BACKENDS.join(', ')}`,
    );
  if (!isQuantized(p))
    throw new WorkloadError(
      'bad-quant-backend',
      `--quant-backend applies to quantized weights; --precision ${p} is not quantized`,
    );
  if (!QUANT_PATHS[b][p]) {
    const formats = Object.keys(QUANT_PATHS[b]).join(', ');
    throw new WorkloadError('bad-quant-backend', `${b} does not run ${p} weights; it runs ${formats}`);
  }
  return b;
}

/** How a layer of a component in format `p` runs under `backend` (the format's default library when null). */
export function quantPath(p: Precision, backend: QuantBackend | null): QuantPath | null {
  const b = quantLibrary(p, backend);
  return b && (QUANT_PATHS[b][p] ?? null);
}

/** The library that runs a component in format `p`: `backend` where it runs the format, else the format's usual one; null unquantized. */
export function quantLibrary(p: Precision, backend: QuantBackend | null): QuantBackend | null {
  if (!isQuantized(p)) return null;
  return backend && QUANT_PATHS[backend][p] ? backend : DEFAULT_QUANT_BACKEND[p]!;
}

/**
 * Whether a component in format `p` keeps its library's `_keep_in_fp32_modules` (`Op.keptFp32`) in
 * float32. Only text encoders load through transformers, which keeps them when loading in float16
 * (`torch_dtype=torch.float16`, as SD3's and PixArt's pipelines do) and under quantizers that ask
 * for it: bitsandbytes does (`use_keep_in_fp32_modules = True`), quanto and torchao do not, and
 * diffusers' quantization blog shows both (FLUX after loading: T5 at one byte per weight under
 * quanto and torchao, T5's `wo` in float32 under bitsandbytes nf4). bf16 needs no exception.
 * GGUF and fp8 casts are ComfyUI's loaders, which store the whole encoder in the format.
 */
export function keepsFp32Modules(role: Role, p: Precision, backend: QuantBackend | null): boolean {
  if (role !== 'text-encoder') return false;
  if (p === 'fp16') return true;
  return quantLibrary(p, backend) === 'bnb';
}

/**
 * Whether a denoiser stored in format `p` keeps its adaLN modulation layers (`Op.modulation`) in the
 * 16-bit compute type. diffusers' layerwise casting (`enable_layerwise_casting`: the `cast` library
 * called from a script) skips every module whose name matches the model's
 * `_skip_layerwise_casting_patterns`: "norm" in FLUX and SD3, whose modulation projections live
 * under `norm1`, `norm1_context`, `norm` and `norm_out`, and also "adaln_single" in PixArt. In
 * FLUX.1 that is 3.25 B of 11.9 B parameters, which is why diffusers' quantization blog measures its
 * fp8-cast pipeline at 3.6 GB above an all-fp8 transformer after loading. ComfyUI builds every
 * linear layer, modulation included, in the weight type it is given, so from an app they are cast.
 */
export function keepsModulation16(
  role: Role,
  p: Precision,
  backend: QuantBackend | null,
  fromScript: boolean,
): boolean {
  return role === 'denoiser' && fromScript && quantLibrary(p, backend) === 'cast';
}
