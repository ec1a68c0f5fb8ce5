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
}

/*
 * fp32 on sm_80+ runs as TF32 on the tensor cores, convolutions and matmuls alike. cuDNN allows it
 * for convolutions by default; for matmuls NVIDIA's NGC PyTorch containers enable it by default and
 * diffusers' speed guide tells fp32 users to set `allow_tf32`; the published fp32 rows on A100s
 * (diffusers torch 2.0 table, Lambda's NGC 22.11 runs) are faster than FP32 math allows (1.8 s per
 * SD 1.5 image = 28 TFLOP/s on a 19.5 TFLOP/s FP32 part), so they ran TF32.
 */

function computePeak(d: Device, compute: ComputeType): Peak {
  const matrix = (t: number | null | undefined): Peak | null => (t ? { flops: t * TERA, units: 'matrix' } : null);
  const vector = (t: number): Peak => ({ flops: t * TERA, units: 'vector' });
  // Without matrix units fp16 GEMMs run as "pseudo-fp16" at the FP32 (or packed FP16) vector rate;
  // Pascal GeForce's native fp16 is 1/64 rate, so max() picks FP32 there.
  const fp16 = () => matrix(d.fp16MatrixTflops) ?? vector(Math.max(d.fp32Tflops, d.fp16VectorTflops ?? 0));
  if (compute === 'fp16') return fp16();
  if (compute === 'bf16') {
    // No bf16 hardware (Turing, Volta, Pascal): PyTorch falls back to FP32 math.
    return matrix(d.bf16MatrixTflops) ?? (d.bf16Support ? fp16() : vector(d.fp32Tflops));
  }
  // fp32 on sm_80+: TF32 at half the dense fp16 rate (see above).
  if (smVersion(d) >= 80 && d.fp16MatrixTflops && d.fp16MatrixTflops / 2 > d.fp32Tflops)
    return { flops: (d.fp16MatrixTflops / 2) * TERA, units: 'matrix' };
  return vector(d.fp32Tflops);
}

const peaks = new WeakMap<Device, Partial<Record<ComputeType, Peak>>>();

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
