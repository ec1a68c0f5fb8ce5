/**
 * Device domain model. A device is what runs the denoiser: a discrete GPU, an Apple SoC GPU,
 * an APU's integrated GPU, or a CPU. Numbers are peak (spec-sheet) figures; the cost model applies
 * efficiencies to them, so nothing here is "effective".
 */

export type Vendor = 'NVIDIA' | 'AMD' | 'Intel' | 'Apple' | 'other';

export type Segment =
  | 'consumer_desktop'
  | 'consumer_laptop'
  | 'workstation'
  | 'datacenter'
  | 'apple_soc'
  | 'apu_unified_memory'
  | 'cpu';

/** The software stack family a device is driven through by PyTorch-class tools. */
export type Backend = 'cuda' | 'rocm' | 'oneapi' | 'metal' | 'directml' | 'cpu';

export interface Device {
  /** Stable slug, e.g. `nvidia-geforce-rtx-4090`. */
  id: string;
  vendor: Vendor;
  /** Display name as in the catalog, e.g. `GeForce RTX 4090`. */
  name: string;
  segment: Segment;
  architecture: string;
  /** CUDA SM (`sm_89`), AMD gfx target, Intel Xe-core count or `Metal`. */
  computeId: string;
  launchYear: number | null;
  /** Memory the device can address in GiB (VRAM; for unified memory the configured RAM). null for CPUs. */
  memoryGiB: number | null;
  /** Unified memory shared with the CPU (Apple, APUs, CPUs). */
  unifiedMemory: boolean;
  /** Other memory sizes the same part ships with (Apple SoCs), in GiB. */
  memoryOptionsGiB: number[];
  memoryBandwidthGBs: number;
  fp32Tflops: number;
  /** Dense FP16 matrix throughput with FP32 accumulate (what fp16 inference uses); null without matrix units. */
  fp16MatrixTflops: number | null;
  /** Dense FP16 matrix throughput with FP16 accumulate (GeForce runs this at twice the FP32-accumulate rate). */
  fp16AccMatrixTflops: number | null;
  /** Dense FP16 non-matrix (vector) throughput. */
  fp16VectorTflops: number | null;
  bf16MatrixTflops: number | null;
  fp8MatrixTflops: number | null;
  int8Tops: number | null;
  bf16Support: boolean;
  fp8Support: boolean;
  backend: Backend;
  /** Host link: PCIe generation and lanes; null for SoCs/unified memory and SXM parts on NVLink boards. */
  pcie: { gen: number; lanes: number } | null;
  tdpW: number | null;
  launchPriceUsd: number | null;
  source: string;
  confidence: 'high' | 'medium' | 'low';
  notes: string;
}

/** The result of resolving a user-typed device name. Expected outcomes are values, not exceptions. */
export type DeviceMatch =
  | { kind: 'exact'; device: Device }
  | { kind: 'matched'; device: Device /** why this entry was chosen, e.g. variant not stated */; note?: string }
  | { kind: 'unknown'; query: string; suggestions: string[] };
