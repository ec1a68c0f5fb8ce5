/**
 * What a device delivers for a compute type and a kind of op: peak FLOP/s from the spec sheet,
 * chosen the way PyTorch actually runs it (fp16 with FP32 accumulate on tensor cores; TF32 for fp32
 * on Ampere and newer; no tensor cores → the vector FP32 units).
 */
import type { Device } from '../catalog/devices.types.ts';

export type ComputeType = 'fp32' | 'fp16' | 'bf16';

const TERA = 1e12;

/** CUDA SM version as a number (sm_86 → 86); 0 when not NVIDIA. */
export function smVersion(d: Device): number {
  const m = /^sm_(\d+)/.exec(d.computeId);
  return m ? Number(m[1]) : 0;
}

/** Which units run an op: tensor/matrix cores, or the vector (SIMT) ALUs. */
export type Units = 'matrix' | 'vector';

export interface Peak {
  flops: number;
  units: Units;
  /**
   * 16-bit tensors computed on the FP32 vector ALUs of a GPU without fast 16-bit math (Pascal
   * GeForce runs fp16 at 1/64 rate; bf16 before Ampere): the libraries convert on load and run
   * their slower "pseudo-half" kernels.
   */
  pseudoHalf?: true;
}

/*
 * fp32 on sm_80+ can run as TF32 on the tensor cores. cuDNN allows it for convolutions by default
 * (`torch.backends.cudnn.allow_tf32`), so convolutions always do, and so does fused attention in the
 * published fp32 rows. Matrix products do only where the run allows it (`gemmPeak`): PyTorch 1.12
 * turned `torch.backends.cuda.matmul.allow_tf32` off by default. The diffusers PyTorch 2.0
 * benchmark asked for it (`set_float32_matmul_precision('high')`) and NVIDIA's NGC containers set
 * it (TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1): their A100 rows ran faster than FP32 math allows (1.8 s per
 * SD 1.5 image = 28 TFLOP/s on a 19.5 TFLOP/s FP32 part). The SDXL optimization blog's plain fp32
 * script did not: 72 s for 4 images, about what IEEE FP32 linear layers take.
 */

/** A vector-ALU peak from a spec sheet's TFLOP/s. */
const vector = (t: number): Peak => ({ flops: t * TERA, units: 'vector' });

function computePeak(d: Device, compute: ComputeType): Peak {
  const matrix = (t: number | null | undefined): Peak | null => (t ? { flops: t * TERA, units: 'matrix' } : null);
  // Without matrix units fp16 runs on the vector ALUs: natively where packed FP16 is at least as
  // fast as FP32 (RDNA, Apple); on the FP32 ALUs where it is not (Pascal GeForce's fp16 is 1/64
  // rate), which cuBLAS and cuDNN do as "pseudo-half" configurations.
  const onFp32 = (): Peak =>
    d.backend === 'cuda' ? { ...vector(d.fp32Tflops), pseudoHalf: true } : vector(d.fp32Tflops);
  const fp16Vector = d.fp16VectorTflops ?? 0;
  const fp16 = () => matrix(d.fp16MatrixTflops) ?? (fp16Vector >= d.fp32Tflops ? vector(fp16Vector) : onFp32());
  if (compute === 'fp16') return fp16();
  if (compute === 'bf16') {
    // No bf16 hardware (Turing, Volta, Pascal): PyTorch falls back to FP32 math.
    return matrix(d.bf16MatrixTflops) ?? (d.bf16Support ? fp16() : onFp32());
  }
  // fp32 on sm_80+: TF32 at half the dense fp16 rate (see above).
  if (smVersion(d) >= 80 && d.fp16MatrixTflops && d.fp16MatrixTflops / 2 > d.fp32Tflops)
    return { flops: (d.fp16MatrixTflops / 2) * TERA, units: 'matrix' };
  return vector(d.fp32Tflops);
}

const peaks = new WeakMap<Device, Partial<Record<ComputeType, Peak>>>();

/**
 * Peak of a matrix product (a linear layer; attention's score and value products when they run as
 * batched GEMMs) in a compute type: fp32 products run as IEEE FP32 on the vector ALUs unless the run
 * allows TF32 for them (`tf32`).
 */
export function gemmPeak(d: Device, compute: ComputeType, tf32: boolean): Peak {
  return compute === 'fp32' && !tf32 ? vector(d.fp32Tflops) : peakRate(d, compute);
}

/** Peak FLOP/s of matmul-like ops (linear, conv, attention) in a compute type, and the units that deliver it. */
export function peakRate(d: Device, compute: ComputeType): Peak {
  // Asked once per op of every estimate: computed once per device and compute type.
  let byType = peaks.get(d);
  if (!byType) peaks.set(d, (byType = {}));
  return (byType[compute] ??= computePeak(d, compute));
}

export const bandwidth = (d: Device) => d.memoryBandwidthGBs * 1e9;

/** Host ↔ device link in bytes/s: PCIe per lane ≈ 0.985 GB/s (gen3) doubling each generation; unified memory needs no copy. */
export function hostLink(d: Device): number | null {
  if (d.unifiedMemory) return null;
  const link = d.pcie ?? { gen: d.launchYear && d.launchYear >= 2022 ? 5 : 4, lanes: 16 };
  return 0.985e9 * 2 ** (link.gen - 3) * link.lanes;
}

/**
 * Peak of the 8-bit tensor paths a quantization library can use, or null where the GPU has none:
 * fp8 needs fp8 tensor cores (Ada, Hopper, Blackwell; CDNA3, RDNA4); int8 tensor cores date back to
 * Turing. Dense figures, as the spec sheets give them.
 */
export function eightBitPeak(d: Device, kind: 'fp8' | 'int8'): Peak | null {
  if (kind === 'int8') return d.int8Tops ? { flops: d.int8Tops * TERA, units: 'matrix' } : null;
  if (!d.fp8Support || !d.fp8MatrixTflops) return null;
  // torch._scaled_mm accumulates in FP32. GeForce parts run FP32 accumulate at half their FP16-
  // accumulate rate (the fp16 columns show it); the fp8 column is the fast-accumulate figure.
  const acc = d.fp16AccMatrixTflops && d.fp16MatrixTflops ? Math.min(1, d.fp16MatrixTflops / d.fp16AccMatrixTflops) : 1;
  return { flops: d.fp8MatrixTflops * acc * TERA, units: 'matrix' };
}
