/**
 * What a device really offers a diffusion process: its memory minus what the driver, the OS and
 * the display take first. Each allowance has its reason; the planner reports them beside the verdict.
 */
import type { Device } from '../catalog/devices.types.ts';

const GiB = 2 ** 30;

export interface UsableMemory {
  bytes: number;
  /** Nominal size (GiB as marketed, as binary bytes). */
  nominalBytes: number;
  reason: string;
}

/**
 * - Discrete GPUs: the driver reports ~0.5 % less than nominal (24564 of 24576 MiB on a 24 GB card,
 *   81559 of 81920 MiB on an H100) and ECC/reserved pages take a little more; a desktop card that
 *   also drives the display loses ~0.4 GiB to the compositor and browser (nvidia-smi on typical desktops).
 * - Apple: macOS caps what the GPU may wire at about two thirds of RAM up to 36 GiB and three
 *   quarters above (Metal's recommendedMaxWorkingSetSize; PyTorch MPS honours it).
 * - CPUs: the RAM minus the OS and desktop (~3 GiB).
 */
export function usableDeviceMemory(d: Device, opts: { ramGiB?: number } = {}): UsableMemory {
  if (d.backend === 'cpu') {
    const ram = (opts.ramGiB ?? d.memoryGiB ?? 16) * GiB;
    return { bytes: Math.max(0, ram - 3 * GiB), nominalBytes: ram, reason: 'system RAM minus ~3 GiB for the OS' };
  }
  const nominal = (d.memoryGiB ?? 0) * GiB;
  if (d.unifiedMemory) {
    const share = nominal <= 36 * GiB ? 2 / 3 : 3 / 4;
    return {
      bytes: nominal * share,
      nominalBytes: nominal,
      reason: `unified memory: the GPU may wire about ${Math.round(share * 100)} % of RAM (macOS working-set cap)`,
    };
  }
  const driver = nominal * 0.995;
  const display = d.segment === 'consumer_desktop' || d.segment === 'consumer_laptop' ? 0.4 * GiB : 0;
  return {
    bytes: driver - display,
    nominalBytes: nominal,
    reason:
      display > 0
        ? 'driver-reported size minus ~0.4 GiB for the display and desktop'
        : 'driver-reported size (headless)',
  };
}
