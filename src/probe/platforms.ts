/**
 * Which adapters run where, as data. Order is priority: when two adapters see the same GPU, the
 * earlier one's fields win and later ones only fill what it left unknown. Vendor tools come first
 * (they read the driver), then kernel/OS sources, then systeminformation (the lowest confidence).
 */
import { linuxDrmAdapter } from './linux-drm.ts';
import { macosAdapter } from './macos.ts';
import { nvidiaSmiAdapter } from './nvidia-smi.ts';
import { rocmSmiAdapter } from './rocm-smi.ts';
import { systemAdapter } from './system.ts';
import type { AdapterName, Platform, ProbeAdapter } from './types.ts';
import { windowsAdapter } from './windows.ts';

export const PLATFORM_ADAPTERS: Readonly<Record<Platform, readonly AdapterName[]>> = {
  linux: ['nvidia-smi', 'rocm-smi', 'linux-drm', 'system'],
  darwin: ['macos', 'system'],
  win32: ['nvidia-smi', 'windows', 'system'],
  other: ['system'],
};

export const ADAPTERS: Readonly<Record<AdapterName, ProbeAdapter>> = {
  'nvidia-smi': nvidiaSmiAdapter,
  'rocm-smi': rocmSmiAdapter,
  'linux-drm': linuxDrmAdapter,
  macos: macosAdapter,
  windows: windowsAdapter,
  system: systemAdapter,
};

/** Maps Node's `process.platform` onto the closed set the probe knows; everything else is 'other'. */
export function detectPlatform(nodePlatform: string): Platform {
  return nodePlatform === 'linux' || nodePlatform === 'darwin' || nodePlatform === 'win32' ? nodePlatform : 'other';
}

export function adaptersFor(platform: Platform): ProbeAdapter[] {
  return PLATFORM_ADAPTERS[platform].map((name) => ADAPTERS[name]);
}
