/**
 * A hypothetical machine, for "what if I had an RTX 3060 12GB and 32 GB of RAM?". Pure: the caller
 * resolves catalog names and passes the memory; this module never reads the catalog or the host.
 * Every fact is marked 'assumed', sourced 'user' (typed by the person), 'catalog' (resolved by the
 * caller) or 'default' (filled in here, with a note saying so).
 */
import { backendFor, GiB, sourced, vendorFromName } from './_shared.ts';
import type { DetectedGpu, GpuVendor, Platform, ProbeResult, Sourced } from './types.ts';

export interface FakeMachineSpec {
  gpuName?: string;
  /** Device memory in GiB; for a unified-memory machine, leave it out and give `ramGiB`. */
  gpuMemoryGiB?: number;
  /** Where `gpuMemoryGiB` came from. Default 'catalog' (the caller looked the device up). */
  gpuMemorySource?: 'catalog' | 'user';
  unifiedMemory?: boolean;
  vendor?: GpuVendor;
  ramGiB?: number;
  cores?: number;
  cpuModel?: string;
  platform?: Platform;
  /** Free disk in GiB where models are cached; unknown when left out. */
  freeDiskGiB?: number;
}

const DEFAULT_RAM_GIB = 16;
const DEFAULT_CORES = 8;

export function fakeProbe(spec: FakeMachineSpec = {}): ProbeResult {
  const notes: string[] = ['hypothetical machine: nothing here was read from real hardware'];
  const vendor: GpuVendor | null = spec.vendor ?? (spec.gpuName ? vendorFromName(spec.gpuName) : null);
  const platform: Platform = spec.platform ?? (vendor === 'Apple' ? 'darwin' : 'linux');
  const arch = platform === 'darwin' && vendor !== 'NVIDIA' && vendor !== 'AMD' ? 'arm64' : 'x64';
  const unified = spec.unifiedMemory ?? vendor === 'Apple';

  // One memory pool for unified machines: RAM and GPU memory must agree.
  let ramGiB = spec.ramGiB;
  if (ramGiB === undefined && unified && spec.gpuMemoryGiB !== undefined) ramGiB = spec.gpuMemoryGiB;
  const ram: Sourced<number> =
    ramGiB !== undefined
      ? sourced(ramGiB * GiB, 'user', 'assumed')
      : sourced(DEFAULT_RAM_GIB * GiB, 'default', 'assumed');
  if (ramGiB === undefined) notes.push(`RAM not given; assumed ${DEFAULT_RAM_GIB} GiB`);

  const gpus: DetectedGpu[] = [];
  if (spec.gpuName !== undefined && spec.gpuName.trim() !== '' && vendor !== null) {
    let memory: Sourced<number> | null = null;
    if (unified) {
      if (spec.gpuMemoryGiB !== undefined && spec.ramGiB !== undefined && spec.gpuMemoryGiB !== spec.ramGiB) {
        notes.push(
          `unified memory: GPU memory (${spec.gpuMemoryGiB} GiB) and RAM (${spec.ramGiB} GiB) are one pool; using RAM`,
        );
      }
      memory = { value: ram.value, from: ram.from };
    } else if (spec.gpuMemoryGiB !== undefined) {
      memory = sourced(spec.gpuMemoryGiB * GiB, spec.gpuMemorySource ?? 'catalog', 'assumed');
    } else {
      notes.push(`GPU memory of ${spec.gpuName} not given; unknown`);
    }
    gpus.push({
      name: sourced(spec.gpuName.trim(), 'user', 'assumed'),
      vendor,
      memoryTotalBytes: memory,
      // A hypothetical card has nothing else running on it.
      memoryFreeBytes: memory === null ? null : { value: memory.value, from: memory.from },
      memoryUsedBytes: memory === null ? null : sourced(0, memory.from.source, 'assumed'),
      unifiedMemory: unified,
      index: 0,
      integrated: unified,
      backendHint: backendFor(vendor, platform),
    });
  }

  const cores = spec.cores ?? DEFAULT_CORES;
  if (spec.cores === undefined) notes.push(`CPU cores not given; assumed ${DEFAULT_CORES}`);
  return {
    os: { platform, release: 'hypothetical', arch },
    cpu: {
      model: spec.cpuModel ?? (vendor === 'Apple' && spec.gpuName ? spec.gpuName : 'unspecified CPU'),
      vendor: '',
      cores,
      threads: cores,
      clockGHz: null,
      // A modern desktop CPU is assumed: AVX2 on x86-64 (2013+), NEON on every arm64.
      simd: { avx2: arch === 'x64', avx512: false, avx512Halves: false, amx: false, neon: arch === 'arm64' },
      from: {
        source: spec.cores !== undefined || spec.cpuModel !== undefined ? 'user' : 'default',
        confidence: 'assumed',
      },
    },
    ramBytes: ram,
    freeDiskBytes: spec.freeDiskGiB !== undefined ? sourced(spec.freeDiskGiB * GiB, 'user', 'assumed') : null,
    diskPath: spec.freeDiskGiB !== undefined ? '(hypothetical)' : null,
    gpus,
    status: gpus.length > 0 ? 'detected' : 'no-gpu',
    notes,
    adapters: [{ name: 'fake', outcome: 'ok', detail: 'hypothetical machine' }],
  };
}
