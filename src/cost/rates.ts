/**
 * What a device delivers for a compute type and a kind of op: peak FLOP/s from the spec sheet,
 * chosen the way PyTorch actually runs it (fp16 with FP32 accumulate on tensor cores; TF32 for fp32
 * convolutions on Ampere and newer, since cuDNN allows TF32 by default; no tensor cores → vector FP32).
 */
import type { Device } from '../catalog/devices.types.ts';

export type ComputeType = 'fp32' | 'fp16' | 'bf16';

const TERA = 1e12;

/** CUDA SM version as a number (sm_86 → 86); 0 when not NVIDIA. */
export function smVersion(d: Device): number {
  const m = /^sm_(\d+)/.exec(d.computeId);
  return m ? Number(m[1]) : 0;
}

function fp16Rate(d: Device): number {
  // Without matrix units fp16 GEMMs run as "pseudo-fp16" at the FP32 (or packed FP16) vector rate;
  // Pascal GeForce's native fp16 is 1/64 rate, so max() picks FP32 there.
  return d.fp16MatrixTflops ?? Math.max(d.fp32Tflops, d.fp16VectorTflops ?? 0);
}

/** Peak FLOP/s for a matmul-like op of the given kind and compute type. */
export function peakFlops(d: Device, compute: ComputeType, kind: 'linear' | 'conv' | 'attention'): number {
  if (compute === 'fp16') return fp16Rate(d) * TERA;
  if (compute === 'bf16') {
    if (d.bf16MatrixTflops) return d.bf16MatrixTflops * TERA;
    // No bf16 hardware (Turing, Volta, Pascal): PyTorch falls back to FP32 math.
    return d.bf16Support ? fp16Rate(d) * TERA : d.fp32Tflops * TERA;
  }
  // fp32: cuDNN convolutions use TF32 on sm_80+ by default (half the dense fp16 rate); matmuls do not.
  if (kind === 'conv' && smVersion(d) >= 80 && d.fp16MatrixTflops) return Math.max(d.fp32Tflops, d.fp16MatrixTflops / 2) * TERA;
  return d.fp32Tflops * TERA;
}

export const bandwidth = (d: Device) => d.memoryBandwidthGBs * 1e9;

/** Host ↔ device link in bytes/s: PCIe per lane ≈ 0.985 GB/s (gen3) doubling each generation; unified memory needs no copy. */
export function hostLink(d: Device): number | null {
  if (d.unifiedMemory) return null;
  const link = d.pcie ?? { gen: d.launchYear && d.launchYear >= 2022 ? 5 : 4, lanes: 16 };
  return 0.985e9 * 2 ** (link.gen - 3) * link.lanes;
}
