/**
 * Linux DRM sysfs adapter: /sys/class/drm/cardN/device/{vendor,device,mem_info_vram_total,…}.
 * Needs no vendor tool, so it still sees an AMD card without ROCm and an NVIDIA card whose
 * nvidia-smi is missing (then with unknown memory: the NVIDIA driver publishes no sysfs VRAM).
 *
 * - amdgpu exposes mem_info_vram_total / mem_info_vram_used in bytes (kernel 5.1+).
 * - i915/xe expose no portable VRAM file; Intel GPUs are reported with unknown memory.
 * - Server boards carry a BMC display (ASPEED 0x1a03, Matrox 0x102b) and VMs a virtual one
 *   (QEMU 0x1234, virtio 0x1af4, VMware 0x15ad); those are not GPUs for generation and are skipped.
 */
import { failed, GiB, plausibleVram, sourced, vendorFromPciId } from './_shared.ts';
import type { AdapterOutcome, DetectedGpu, ProbeAdapter, ProbeContext, ReadFile } from './types.ts';

const SOURCE = 'sysfs';
/** DRM numbers cards from 0 and rarely goes past a handful; 16 covers an 8-GPU server with BMC. */
export const MAX_DRM_CARDS = 16;
const APU_CARVEOUT_MAX = 2 * GiB;

/** A snapshot of the sysfs files this adapter reads, keyed by absolute path (fixtures use this). */
export type SysfsSnapshot = Readonly<Record<string, string>>;

export function readerFromSnapshot(files: SysfsSnapshot): ReadFile {
  return async (path) => files[path] ?? null;
}

/** Intel discrete GPUs: Alchemist (DG2, 0x56xx) and Battlemage (0xe2xx); the rest are integrated. */
function intelDiscrete(deviceId: string): boolean {
  return /^0x(56[0-9a-f]{2}|e2[0-9a-f]{2})$/i.test(deviceId);
}

export async function probeDrm(readFile: ReadFile): Promise<AdapterOutcome> {
  const notes: string[] = [];
  const gpus: DetectedGpu[] = [];
  let sawAnyCard = false;

  // Vendor files are read side by side: most numbers are absent, and a stuck read costs one timeout, not sixteen.
  const vendors = await Promise.all(
    Array.from({ length: MAX_DRM_CARDS }, (_, n) => readFile(`/sys/class/drm/card${n}/device/vendor`)),
  );
  for (let n = 0; n < MAX_DRM_CARDS; n++) {
    const base = `/sys/class/drm/card${n}/device/`;
    const vendorId = vendors[n]?.trim();
    if (!vendorId) continue;
    sawAnyCard = true;
    const deviceId = ((await readFile(`${base}device`))?.trim() ?? '').toLowerCase();
    const vendor = vendorFromPciId(vendorId);
    if (vendor === null || vendor === 'Apple') {
      notes.push(`sysfs: card${n} (${vendorId}:${deviceId || '?'}) is a BMC or virtual display, not a GPU; skipped`);
      continue;
    }
    const pciId = `${vendorId.replace(/^0x/i, '')}:${deviceId.replace(/^0x/i, '')}`;
    const productName = (await readFile(`${base}product_name`))?.trim();
    const name = productName ? productName : `${vendor} GPU [${pciId}]`;

    let total: number | null = null;
    let used: number | null = null;
    if (vendor === 'AMD') {
      const totalRaw = (await readFile(`${base}mem_info_vram_total`))?.trim();
      const usedRaw = (await readFile(`${base}mem_info_vram_used`))?.trim();
      if (totalRaw !== undefined) {
        const t = /^\d+$/.test(totalRaw) ? Number(totalRaw) : Number.NaN;
        if (!plausibleVram(t)) {
          notes.push(
            `sysfs: card${n} mem_info_vram_total "${totalRaw.slice(0, 40)}" is not a plausible size; card skipped`,
          );
          continue;
        }
        total = t;
      }
      if (usedRaw !== undefined && /^\d+$/.test(usedRaw) && total !== null && Number(usedRaw) <= total)
        used = Number(usedRaw);
    }
    const integrated =
      vendor === 'Intel' ? !intelDiscrete(deviceId) : vendor === 'AMD' && total !== null && total <= APU_CARVEOUT_MAX;
    // The NVIDIA driver publishes no VRAM size in sysfs; nvidia-smi supplies it (or the probe says it is missing).
    if (total === null && vendor !== 'NVIDIA') notes.push(`sysfs: card${n} (${name}) publishes no VRAM size`);
    gpus.push({
      name: sourced(name, SOURCE, productName ? 'measured' : 'derived'),
      vendor,
      memoryTotalBytes: total === null ? null : sourced(total, SOURCE, 'measured'),
      memoryUsedBytes: used === null ? null : sourced(used, SOURCE, 'measured'),
      memoryFreeBytes: total !== null && used !== null ? sourced(total - used, SOURCE, 'derived') : null,
      unifiedMemory: integrated,
      index: n,
      integrated,
      backendHint: vendor === 'NVIDIA' ? 'cuda' : vendor === 'AMD' ? 'rocm' : 'oneapi',
    });
  }

  if (!sawAnyCard) return failed('not-applicable', 'sysfs: no /sys/class/drm cards', 'no-drm');
  return { kind: 'ok', gpus, notes };
}

export const linuxDrmAdapter: ProbeAdapter = {
  name: 'linux-drm',
  platforms: ['linux'],
  probe: (ctx: ProbeContext) => probeDrm(ctx.readFile),
};
