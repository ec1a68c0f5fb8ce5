/**
 * Weight formats: bytes per parameter (with the format's own scale overhead) and the 16-bit compute
 * type they run in. Every quantized format here is weight-only: weights are stored small and
 * dequantized to 16-bit before each matmul, which costs memory traffic (see `dequantPasses`).
 */
import type { Precision } from '../catalog/models.types.ts';

export interface PrecisionInfo {
  /** Stored bytes per weight, including block scales. */
  bytesPerParam: number;
  /** Why that number. */
  layout: string;
  /** Compute type; `auto` = the model's 16-bit default (fp16 or bf16). */
  compute: 'fp32' | 'fp16' | 'bf16' | 'auto';
  /**
   * Extra full-size 16-bit passes over each weight per forward to dequantize it (write + read of a
   * 16-bit copy counts as one pass). Casts are one pass; scale-only formats two; block formats that
   * unpack nibbles and apply scale and offset in separate framework ops, four.
   */
  dequantPasses: number;
}

export const PRECISIONS: Record<Precision, PrecisionInfo> = {
  fp32: { bytesPerParam: 4, layout: 'IEEE float32', compute: 'fp32', dequantPasses: 0 },
  fp16: { bytesPerParam: 2, layout: 'IEEE float16', compute: 'fp16', dequantPasses: 0 },
  bf16: { bytesPerParam: 2, layout: 'bfloat16', compute: 'bf16', dequantPasses: 0 },
  fp8: { bytesPerParam: 1, layout: 'float8 e4m3, per-tensor scale', compute: 'auto', dequantPasses: 1 },
  int8: { bytesPerParam: 1 + 2 / 4096, layout: 'int8, per-channel 16-bit scale', compute: 'auto', dequantPasses: 2 },
  q8_0: {
    bytesPerParam: 34 / 32,
    layout: 'GGUF Q8_0: 32 int8 + fp16 scale per block',
    compute: 'auto',
    dequantPasses: 4,
  },
  nf4: {
    bytesPerParam: 0.5 + 1 / 64 + 4 / (64 * 256),
    layout: 'bitsandbytes NF4: 4 bit, 8-bit absmax per 64, fp32 per 256 blocks',
    compute: 'auto',
    dequantPasses: 2,
  },
  int4: {
    bytesPerParam: 0.5 + 4 / 128,
    layout: 'int4, group 128 with 16-bit scale and zero point',
    compute: 'auto',
    dequantPasses: 2,
  },
  q4_0: {
    bytesPerParam: 18 / 32,
    layout: 'GGUF Q4_0: 32 × 4 bit + fp16 scale per block',
    compute: 'auto',
    dequantPasses: 4,
  },
  q4_1: {
    bytesPerParam: 20 / 32,
    layout: 'GGUF Q4_1: 32 × 4 bit + fp16 scale and min per block',
    compute: 'auto',
    dequantPasses: 4,
  },
  q4_k: {
    bytesPerParam: 144 / 256,
    layout: 'GGUF Q4_K: 4.5 bits per weight (256-weight super-blocks)',
    compute: 'auto',
    dequantPasses: 4,
  },
  q2_k: { bytesPerParam: 84 / 256, layout: 'GGUF Q2_K: 2.625 bits per weight', compute: 'auto', dequantPasses: 4 },
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
export const isQuantized = (p: Precision) => PRECISIONS[p].dequantPasses > 0;
