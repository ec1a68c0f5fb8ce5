/** The probe's public surface; files starting with `_` stay private. */

export { type FakeMachineSpec, fakeProbe } from './fake.ts';
export { linuxDrmAdapter, probeDrm, readerFromSnapshot, type SysfsSnapshot } from './linux-drm.ts';
export { appleSocFromSysctl, macosAdapter, parseSysctl, parseSystemProfiler, type SysctlFacts } from './macos.ts';
export { NVIDIA_CORE_FIELDS, NVIDIA_FIELDS, nvidiaSmiAdapter, nvidiaSmiArgs, parseNvidiaSmi } from './nvidia-smi.ts';
export { ADAPTERS, adaptersFor, detectPlatform, PLATFORM_ADAPTERS } from './platforms.ts';
export {
  DEFAULT_TOOL_TIMEOUT_MS,
  defaultContext,
  defaultExec,
  defaultReadFile,
  defaultSystemInfo,
  mergeGpus,
  probeMachine,
  runAdapter,
} from './probe.ts';
export { parseRocmSmi, rocmSmiAdapter } from './rocm-smi.ts';
export { defaultCacheDir, filesystemFor, gpusFromGraphics, parseCpuFlags, systemAdapter } from './system.ts';
export type * from './types.ts';
export { parseRegQuery, parseWindowsRegistry, regSizeBytes, windowsAdapter } from './windows.ts';
