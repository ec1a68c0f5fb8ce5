/** The probe's public surface; files starting with `_` stay private. */
export type * from './types.ts';
export { probeMachine, runAdapter, mergeGpus, defaultContext, defaultExec, defaultReadFile, defaultSystemInfo, DEFAULT_TOOL_TIMEOUT_MS } from './probe.ts';
export { fakeProbe, type FakeMachineSpec } from './fake.ts';
export { PLATFORM_ADAPTERS, ADAPTERS, adaptersFor, detectPlatform } from './platforms.ts';
export { parseNvidiaSmi, nvidiaSmiArgs, NVIDIA_FIELDS, NVIDIA_CORE_FIELDS, nvidiaSmiAdapter } from './nvidia-smi.ts';
export { parseRocmSmi, rocmSmiAdapter } from './rocm-smi.ts';
export { probeDrm, readerFromSnapshot, linuxDrmAdapter, type SysfsSnapshot } from './linux-drm.ts';
export { parseSystemProfiler, parseSysctl, appleSocFromSysctl, macosAdapter, type SysctlFacts } from './macos.ts';
export { parseWindowsRegistry, parseRegQuery, regSizeBytes, windowsAdapter } from './windows.ts';
export { parseCpuFlags, defaultCacheDir, filesystemFor, gpusFromGraphics, systemAdapter } from './system.ts';
