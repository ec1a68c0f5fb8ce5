/**
 * Probe domain model: what a machine has (CPU, RAM, disk, GPUs) and where each fact came from.
 *
 * The contract, in the spirit of a device detector that must never name a wrong GPU: a fact we
 * cannot read reliably is `null` ("unknown"), never a guess. Every important number carries its
 * provenance so the planner can tell a live driver reading from a capped or hypothetical value.
 *
 * The port is `ProbeAdapter`: one small adapter per tool (`nvidia-smi.ts`, `rocm-smi.ts`, …), each
 * with a pure parse function over the tool's text. Side effects enter only through `ProbeContext`
 * (`exec`, `readFile`, `si`, `hostBasics`, `coreClock`), so every adapter runs unchanged over captured fixtures.
 */
import type { Backend, Vendor } from '../catalog/devices.types.ts';

// ---------------------------------------------------------------------------------------------
// Provenance

/**
 * How much a value can be trusted.
 * - `measured`: read from the driver or kernel at probe time (nvidia-smi, rocm-smi, sysfs, sysctl, OS).
 * - `reported`: read from a secondary layer that may be stale, rounded or capped
 *   (Windows registry, systeminformation, system_profiler's "4 GB" strings).
 * - `derived`: computed from other facts (free = total − used, vendor from a PCI id, integrated heuristics).
 * - `assumed`: not read from this machine at all (hypothetical machines, defaults, user input).
 */
export type Confidence = 'measured' | 'reported' | 'derived' | 'assumed';

export interface Provenance {
  /** e.g. 'nvidia-smi', 'rocm-smi', 'sysfs', 'system_profiler', 'sysctl', 'windows-registry',
   *  'systeminformation', 'node:os', 'catalog', 'user', 'default'. */
  source: string;
  confidence: Confidence;
}

export interface Sourced<T> {
  value: T;
  from: Provenance;
}

// ---------------------------------------------------------------------------------------------
// Domain

export type Platform = 'linux' | 'darwin' | 'win32' | 'other';

/** Vendor and backend are the catalog's unions, so a probed GPU and a catalog device speak alike. */
export type GpuVendor = Vendor;
export type BackendHint = Backend;

export interface PcieLink {
  gen: number;
  lanes: number;
  maxGen?: number;
  maxLanes?: number;
}

export interface DetectedGpu {
  name: Sourced<string>;
  vendor: GpuVendor;
  /** Device memory; for unified-memory SoCs the whole RAM (the planner applies the OS working-set cap). */
  memoryTotalBytes: Sourced<number> | null;
  memoryFreeBytes: Sourced<number> | null;
  memoryUsedBytes: Sourced<number> | null;
  unifiedMemory: boolean;
  driverVersion?: string;
  powerLimitW?: Sourced<number>;
  powerMaxW?: number;
  pcie?: PcieLink;
  /** true when NVIDIA MIG partitioning is on: a process sees one slice, not `memoryTotalBytes`. */
  migMode?: boolean;
  /** The index the reporting tool uses (nvidia-smi/CUDA PCI order, rocm-smi cardN, DRM cardN). */
  index: number;
  integrated: boolean;
  backendHint: BackendHint;
}

export interface SimdFlags {
  avx2: boolean;
  avx512: boolean;
  /**
   * AVX-512 executed as two 256-bit halves (AMD Zen 4): the instructions are there, the FLOPs per
   * cycle are AVX2's. Not in any flags list; the probe knows it from the CPU family.
   */
  avx512Halves: boolean;
  amx: boolean;
  neon: boolean;
}

export interface MachineCpu {
  model: string;
  vendor: string;
  /** Physical cores. */
  cores: number;
  /** Logical processors. */
  threads: number;
  /** The clock a busy core runs at: pinned or measured (src/probe/clock.ts), else what the OS reports. */
  clockGHz: Sourced<number> | null;
  simd: SimdFlags;
  from: Provenance;
}

export interface MachineOs {
  platform: Platform;
  release: string;
  arch: string;
}

/** What one adapter run ended as. Expected failures are values, never exceptions. */
export type AdapterOutcomeKind = 'ok' | 'tool-missing' | 'timeout' | 'unparseable' | 'not-applicable';

export interface AdapterReport {
  name: string;
  outcome: AdapterOutcomeKind;
  detail?: string;
}

export type ProbeStatus = 'detected' | 'no-gpu';

export interface ProbeResult {
  os: MachineOs;
  cpu: MachineCpu;
  ramBytes: Sourced<number>;
  freeDiskBytes: Sourced<number> | null;
  /** The path whose filesystem `freeDiskBytes` describes (default: the user's cache dir). */
  diskPath: string | null;
  gpus: DetectedGpu[];
  status: ProbeStatus;
  /** One-line human notes, e.g. 'nvidia-smi timed out after 5 s'. */
  notes: string[];
  adapters: AdapterReport[];
}

// ---------------------------------------------------------------------------------------------
// The port and its seams

export type ExecResult =
  | { kind: 'ok'; stdout: string }
  | { kind: 'missing' }
  | { kind: 'timeout' }
  /** Non-zero exit. `stdout` is kept because some tools print what we need and still fail
   *  (reg.exe exits 1 on one unreadable subkey; nvidia-smi exits 9 with its driver message). */
  | { kind: 'failed'; code: number | null; stderr: string; stdout: string };

export type Exec = (cmd: string, args: string[], opts: { timeoutMs: number }) => Promise<ExecResult>;

/** Reads a small text file (sysfs, /proc); resolves null when absent or unreadable. */
export type ReadFile = (path: string) => Promise<string | null>;

/** The slice of `systeminformation` the probe uses; injected so tests can fake it. */
export interface SystemInfoSource {
  cpu(): Promise<{
    manufacturer: string;
    brand: string;
    vendor: string;
    speed: number;
    speedMax: number;
    /** CPUID family, as text ("25" for AMD Zen 3 and Zen 4); absent where systeminformation has none. */
    family?: string;
    cores: number;
    physicalCores: number;
  }>;
  cpuFlags(): Promise<string>;
  mem(): Promise<{ total: number }>;
  osInfo(): Promise<{ platform: string; distro: string; release: string; kernel: string; arch: string }>;
  fsSize(): Promise<FsEntry[]>;
  graphics(): Promise<{ controllers: SiGraphicsController[] }>;
}

export interface FsEntry {
  fs: string;
  mount: string;
  size: number;
  available: number;
}

export interface SiGraphicsController {
  vendor: string;
  vendorId?: string;
  model: string;
  bus: string;
  vram: number | null;
  vramDynamic: boolean;
  name?: string;
  driverVersion?: string;
  memoryTotal?: number;
  memoryFree?: number;
  memoryUsed?: number;
}

/** Last-resort host facts when systeminformation fails or hangs (node:os in production). */
export interface HostBasics {
  cpuModel: string;
  logicalCpus: number;
  totalMemBytes: number;
  release: string;
}

export interface ProbeContext {
  platform: Platform;
  arch: string;
  exec: Exec;
  readFile: ReadFile;
  si: SystemInfoSource;
  hostBasics: () => HostBasics;
  /** A core's clock under load in GHz: pinned or measured (src/probe/clock.ts); null where neither. */
  coreClock: () => Sourced<number> | null;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  /** Per tool invocation (one exec, one systeminformation call). Default 5000. */
  toolTimeoutMs: number;
  /** Whole-adapter guard; an adapter past it is reported as 'timeout'. Default 2 × tool + 1 s. */
  adapterTimeoutMs: number;
  /** Where free disk is measured; default: the user's cache dir. */
  diskPath?: string;
}

/** CPU, RAM, OS and disk facts; only the `system` adapter produces them. */
export interface SystemFacts {
  os: MachineOs;
  cpu: MachineCpu;
  ramBytes: Sourced<number>;
  freeDiskBytes: Sourced<number> | null;
  diskPath: string | null;
}

export interface AdapterOutcome {
  kind: AdapterOutcomeKind;
  gpus: DetectedGpu[];
  /** One-line notes for a person; a non-ok outcome always carries at least one. */
  notes: string[];
  detail?: string;
  system?: SystemFacts;
}

export type AdapterName = 'nvidia-smi' | 'rocm-smi' | 'linux-drm' | 'macos' | 'windows' | 'system';

export interface ProbeAdapter {
  name: AdapterName;
  platforms: readonly Platform[];
  probe(ctx: ProbeContext): Promise<AdapterOutcome>;
}
