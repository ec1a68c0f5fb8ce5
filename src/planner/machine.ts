/**
 * From a probe to the machine the cost model evaluates: the device that generates (the best GPU
 * matched to the catalog, or a conservative stand-in for an unknown one, or the CPU), the host CPU
 * and RAM. Each choice keeps a sentence saying how it was made.
 */
import { cpuDevice } from '../catalog/cpu.ts';
import { matchDevice } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { fakeProbe } from '../probe/fake.ts';
import type { DetectedGpu, ProbeResult } from '../probe/types.ts';

const GiB = 2 ** 30;

export interface Machine {
  /** The device the workload runs on. */
  device: Device;
  /** How `device` was chosen ("matched RTX 3060 12GB to the catalog", "no GPU: the CPU"). */
  deviceNote: string;
  /** The host CPU as a device (for the CPU strategy and for CPU-only machines). */
  host: Device;
  ramGiB: number;
  gpu: DetectedGpu | null;
  probe: ProbeResult;
}

/** An unknown GPU keeps its measured memory and gets a deliberately low throughput (a GTX 1060-class part). */
function unknownGpu(g: DetectedGpu): Device {
  const mem = (g.memoryTotalBytes?.value ?? 0) / GiB;
  return {
    id: 'unknown-gpu',
    vendor: g.vendor,
    name: `${g.name.value} (not in the catalog)`,
    segment: g.integrated ? 'apu_unified_memory' : 'consumer_desktop',
    architecture: 'unknown',
    computeId: 'unknown',
    launchYear: null,
    memoryGiB: Math.round(mem * 10) / 10,
    unifiedMemory: g.unifiedMemory,
    memoryOptionsGiB: [],
    memoryBandwidthGBs: 192,
    fp32Tflops: 4,
    fp16MatrixTflops: null,
    fp16AccMatrixTflops: null,
    fp16VectorTflops: null,
    bf16MatrixTflops: null,
    fp8MatrixTflops: null,
    int8Tops: null,
    bf16Support: false,
    fp8Support: false,
    backend: g.backendHint,
    pcie: null,
    tdpW: null,
    launchPriceUsd: null,
    source: 'conservative stand-in: measured memory, GTX 1060-class throughput (assumed)',
    confidence: 'low',
    notes: 'not in the catalog; throughput is a conservative guess',
  };
}

export function machineFromProbe(p: ProbeResult): Machine {
  const ramGiB = p.ramBytes.value / GiB;
  const c = p.cpu;
  const host = cpuDevice({
    model: c.model,
    cores: c.cores,
    threads: c.threads,
    ...(c.clockGHz ? { clockGHz: c.clockGHz.value } : {}),
    simd: c.simd,
    ramGiB,
  });
  // Prefer discrete over integrated, then the most memory.
  const gpus = [...p.gpus].sort(
    (a, b) =>
      Number(a.integrated) - Number(b.integrated) ||
      (b.memoryTotalBytes?.value ?? 0) - (a.memoryTotalBytes?.value ?? 0),
  );
  const gpu = gpus[0] ?? null;
  if (!gpu)
    return {
      device: host,
      deviceNote: `no GPU detected: the CPU (${c.model}, ${c.cores} cores) would generate`,
      host,
      ramGiB,
      gpu: null,
      probe: p,
    };
  const mem = gpu.memoryTotalBytes?.value;
  // Ask the catalog with the measured memory so "RTX 3060" picks the 8 or 12 GB variant it really is.
  const query =
    mem && !gpu.unifiedMemory && !/\d+\s*GB/i.test(gpu.name.value)
      ? `${gpu.name.value} ${Math.round(mem / GiB)}GB`
      : gpu.name.value;
  let m = matchDevice(query);
  if (m.kind === 'unknown' && query !== gpu.name.value) m = matchDevice(gpu.name.value);
  if (m.kind === 'unknown')
    return {
      device: unknownGpu(gpu),
      deviceNote: `${gpu.name.value} is not in the catalog: its measured memory with a conservative speed`,
      host,
      ramGiB,
      gpu,
      probe: p,
    };
  let device = m.device;
  if (gpu.unifiedMemory) device = { ...device, memoryGiB: Math.round(ramGiB) };
  return {
    device,
    deviceNote: `${gpu.name.value} matched to ${device.name}${m.kind === 'matched' && m.note ? ` (${m.note})` : ''}`,
    host,
    ramGiB,
    gpu,
    probe: p,
  };
}

/** Assumed RAM of a hypothetical desktop around a catalog GPU (a common 2024-era build). */
export const HYPOTHETICAL_RAM_GIB = 32;

/**
 * A hypothetical machine built around a catalog device: "what if I had an RTX 3060 12GB?". A
 * unified-memory device (Apple, APU) brings its own memory as the RAM; otherwise `ramGiB` or 32 GiB.
 */
export function hypotheticalMachine(d: Device, ramGiB?: number): Machine {
  const ram = ramGiB ?? (d.unifiedMemory ? (d.memoryGiB ?? 16) : HYPOTHETICAL_RAM_GIB);
  const m = machineFromProbe(
    fakeProbe({
      gpuName: d.name,
      vendor: d.vendor === 'other' ? undefined : d.vendor,
      unifiedMemory: d.unifiedMemory,
      ...(d.unifiedMemory || d.memoryGiB === null ? {} : { gpuMemoryGiB: d.memoryGiB }),
      ramGiB: ram,
    }),
  );
  return { ...m, device: d, deviceNote: `hypothetical: ${d.name} from the catalog` };
}
