/**
 * System adapter (every platform): CPU, SIMD flags, RAM, OS and free disk through systeminformation,
 * plus systeminformation's graphics() as the last-resort GPU source.
 *
 * graphics() is the least trustworthy GPU source: on Linux its VRAM comes from lspci's BAR size
 * (a 256 MiB window on a 4 GiB card, systeminformation#170), on Windows older paths read the
 * 32-bit WMI AdapterRAM (capped near 4 GiB), and for NVIDIA it calls nvidia-smi, which we already
 * ran. So its VRAM is kept only where it is not one of those known-wrong readings, marked 'reported'.
 */
import {
  backendFor,
  errorMessage,
  formatSeconds,
  MiB,
  plausibleVram,
  sourced,
  vendorFromName,
  withDeadline,
} from './_shared.ts';
import type {
  AdapterOutcome,
  DetectedGpu,
  FsEntry,
  MachineCpu,
  Platform,
  ProbeAdapter,
  ProbeContext,
  SiGraphicsController,
  SimdFlags,
  Sourced,
  SystemFacts,
} from './types.ts';

const SOURCE = 'systeminformation';

/**
 * SIMD support from a flags list: si.cpuFlags() text, or /proc/cpuinfo (x86 "flags", arm "Features";
 * its "vendor_id" and "cpu family" lines also tell halved AVX-512).
 */
export function parseCpuFlags(text: string, arch: string): SimdFlags {
  const lines = text.split(/\r?\n/);
  const flagLine = lines.find((l) => /^\s*(flags|features)\s*:/i.test(l));
  const list = (flagLine ? flagLine.slice(flagLine.indexOf(':') + 1) : text)
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const has = (f: string): boolean => list.includes(f);
  const field = (name: string) =>
    lines
      .find((l) => new RegExp(`^${name}\\s*:`, 'i').test(l))
      ?.split(':')[1]
      ?.trim();
  const arm = /^(arm64|aarch64)$/i.test(arch);
  return {
    avx2: has('avx2'),
    avx512: has('avx512f'),
    avx512Halves: avx512OnHalves(field('vendor_id') ?? '', field('cpu family'), has('avx512f')),
    amx: has('amx_tile') || has('amx-tile'),
    // Advanced SIMD (NEON) is mandatory in ARMv8-A, so every arm64 CPU has it.
    neon: arm || has('asimd') || has('neon'),
  };
}

/**
 * Whether AVX-512 runs on 256-bit halves: AMD's family 25 (19h) is Zen 3 and Zen 4, and only Zen 4
 * has AVX-512, which it executes in two 256-bit passes (AMD's Zen 4 disclosures; the reference
 * table's "Zen 3/Zen 4: 32 FLOP/clk"). Zen 5 (family 26) has full 512-bit datapaths on desktop and
 * server parts.
 */
export function avx512OnHalves(vendor: string, family: string | undefined, avx512: boolean): boolean {
  return avx512 && /\b(amd|authenticamd)\b/i.test(vendor) && family?.trim() === '25';
}

/** The user's cache directory, where model weights usually land (huggingface, pip, torch). */
export function defaultCacheDir(
  platform: Platform,
  env: Readonly<Record<string, string | undefined>>,
  homedir: string,
): string {
  switch (platform) {
    case 'darwin':
      return `${homedir}/Library/Caches`;
    case 'win32':
      return env.LOCALAPPDATA ?? `${homedir}\\AppData\\Local`;
    default:
      return env.XDG_CACHE_HOME ?? `${homedir}/.cache`;
  }
}

/** The filesystem holding `path`: the longest mount point that is a prefix of it. */
export function filesystemFor(entries: readonly FsEntry[], path: string, platform: Platform): FsEntry | null {
  const norm = (p: string): string => (platform === 'win32' ? p.replace(/\//g, '\\').toLowerCase() : p);
  const target = norm(path);
  let best: FsEntry | null = null;
  for (const e of entries) {
    const mount = norm(e.mount);
    if (mount === '') continue;
    const sep = platform === 'win32' ? '\\' : '/';
    const under =
      target === mount ||
      target.startsWith(mount.endsWith(sep) ? mount : mount + sep) ||
      (platform === 'win32' && target.startsWith(mount));
    if (under && (best === null || mount.length > norm(best.mount).length)) best = e;
  }
  return best;
}

/** Display devices that are not GPUs for generation: BMCs, VM adapters, fallback renderers. */
const NOT_A_GPU = /aspeed|matrox|vmware|virtualbox|qemu|red hat|bochs|cirrus|microsoft basic|hyper-v|parsec|virtual/i;

/** Turns systeminformation's graphics controllers into low-confidence GPUs. Pure. */
export function gpusFromGraphics(
  controllers: readonly SiGraphicsController[],
  platform: Platform,
): { gpus: DetectedGpu[]; notes: string[] } {
  const gpus: DetectedGpu[] = [];
  const notes: string[] = [];
  controllers.forEach((c, index) => {
    const label = [c.vendor, c.model].filter(Boolean).join(' ').trim();
    if (label === '' || NOT_A_GPU.test(label)) {
      if (label !== '') notes.push(`systeminformation: "${label}" is a BMC, virtual or fallback display; skipped`);
      return;
    }
    const vendor = vendorFromName(label);
    if (vendor === 'other') {
      notes.push(`systeminformation: unknown display device "${label}"; skipped`);
      return;
    }
    const name = c.name?.trim() || c.model.trim() || label;
    const integrated = c.vramDynamic || /built-?in|onboard/i.test(c.bus) || vendor === 'Apple';
    let mem: Sourced<number> | null = null;
    const fromNvml = c.memoryTotal !== undefined && c.memoryTotal > 0 ? c.memoryTotal * MiB : null;
    const vram = c.vram !== null && c.vram > 0 ? c.vram * MiB : null;
    if (fromNvml !== null && plausibleVram(fromNvml)) {
      mem = sourced(fromNvml, SOURCE, 'reported');
    } else if (vram !== null && !integrated && plausibleVram(vram)) {
      if (platform === 'linux') {
        notes.push(`systeminformation: VRAM of ${name} on Linux comes from a PCI window size; ignored`);
      } else if (platform === 'win32' && c.vram !== null && c.vram >= 4000 && c.vram <= 4096) {
        notes.push(`systeminformation: VRAM of ${name} reads ${c.vram} MiB, the 32-bit WMI cap; treated as unknown`);
      } else {
        mem = sourced(vram, SOURCE, 'reported');
      }
    }
    gpus.push({
      name: sourced(name, SOURCE, 'reported'),
      vendor,
      memoryTotalBytes: mem,
      memoryFreeBytes:
        c.memoryFree !== undefined && fromNvml !== null && c.memoryFree >= 0
          ? sourced(c.memoryFree * MiB, SOURCE, 'reported')
          : null,
      memoryUsedBytes:
        c.memoryUsed !== undefined && fromNvml !== null && c.memoryUsed >= 0
          ? sourced(c.memoryUsed * MiB, SOURCE, 'reported')
          : null,
      unifiedMemory: integrated,
      index,
      integrated,
      backendHint: backendFor(vendor, platform),
      ...(c.driverVersion ? { driverVersion: c.driverVersion } : {}),
    });
  });
  return { gpus, notes };
}

/** Runs `fn` with a deadline; a failure or timeout becomes null plus a note, never a throw. */
async function attempt<T>(label: string, fn: () => Promise<T>, ms: number, notes: string[]): Promise<T | null> {
  const TIMEOUT = Symbol('timeout');
  try {
    const r = await withDeadline<T | typeof TIMEOUT>(fn(), ms, () => TIMEOUT);
    if (r === TIMEOUT) {
      notes.push(`systeminformation.${label}() timed out after ${formatSeconds(ms)}`);
      return null;
    }
    return r as T;
  } catch (e) {
    notes.push(`systeminformation.${label}() failed: ${errorMessage(e)}`);
    return null;
  }
}

export async function probeSystem(ctx: ProbeContext): Promise<AdapterOutcome> {
  const notes: string[] = [];
  const ms = ctx.toolTimeoutMs;
  const [cpu, flagsText, mem, osInfo, fs, graphics] = await Promise.all([
    attempt('cpu', () => ctx.si.cpu(), ms, notes),
    attempt('cpuFlags', () => ctx.si.cpuFlags(), ms, notes),
    attempt('mem', () => ctx.si.mem(), ms, notes),
    attempt('osInfo', () => ctx.si.osInfo(), ms, notes),
    attempt('fsSize', () => ctx.si.fsSize(), ms, notes),
    attempt('graphics', () => ctx.si.graphics(), ms, notes),
  ]);
  const host = cpu === null || mem === null || osInfo === null ? ctx.hostBasics() : null;
  const arch = osInfo?.arch || ctx.arch;

  let flags = flagsText ?? '';
  if (flags.trim() === '' && ctx.platform === 'linux') flags = (await ctx.readFile('/proc/cpuinfo')) ?? '';
  const flagged = parseCpuFlags(flags, arch);
  // systeminformation's flags are a bare list: the family comes from its cpu() instead.
  const simd =
    cpu === null || flagged.avx512Halves
      ? flagged
      : { ...flagged, avx512Halves: avx512OnHalves(`${cpu.manufacturer} ${cpu.vendor}`, cpu.family, flagged.avx512) };

  let machineCpu: MachineCpu;
  if (cpu !== null) {
    const brand = cpu.brand.trim();
    const maker = cpu.manufacturer.trim();
    const model =
      maker && !brand.toLowerCase().startsWith(maker.toLowerCase())
        ? `${maker} ${brand}`
        : brand || maker || 'unknown CPU';
    const threads = cpu.cores > 0 ? cpu.cores : (host?.logicalCpus ?? 1);
    const reported = cpu.speedMax > 0 ? cpu.speedMax : cpu.speed > 0 ? cpu.speed : null;
    machineCpu = {
      model,
      vendor: cpu.vendor || maker,
      cores: cpu.physicalCores > 0 ? cpu.physicalCores : threads,
      threads,
      // Measured first: the OS's figure is missing in VMs and is the base clock in brand strings.
      clockGHz: ctx.coreClock() ?? (reported !== null ? sourced(reported, SOURCE, 'reported') : null),
      simd,
      from: { source: SOURCE, confidence: 'measured' },
    };
  } else {
    const h = host ?? ctx.hostBasics();
    machineCpu = {
      model: h.cpuModel || 'unknown CPU',
      vendor: '',
      cores: Math.max(1, h.logicalCpus),
      threads: Math.max(1, h.logicalCpus),
      clockGHz: ctx.coreClock(),
      simd,
      from: { source: 'node:os', confidence: 'reported' },
    };
  }

  const ramBytes: Sourced<number> =
    mem !== null && mem.total > 0
      ? sourced(mem.total, SOURCE, 'measured')
      : sourced((host ?? ctx.hostBasics()).totalMemBytes, 'node:os', 'reported');

  const diskPath = ctx.diskPath ?? defaultCacheDir(ctx.platform, ctx.env, ctx.homedir);
  let freeDiskBytes: Sourced<number> | null = null;
  if (fs !== null) {
    const entry = filesystemFor(fs, diskPath, ctx.platform);
    if (entry !== null && Number.isFinite(entry.available) && entry.available >= 0) {
      freeDiskBytes = sourced(entry.available, SOURCE, 'measured');
    } else {
      notes.push(`systeminformation: no filesystem found for ${diskPath}`);
    }
  }

  const release =
    osInfo !== null
      ? [osInfo.distro, osInfo.release].filter(Boolean).join(' ') || osInfo.kernel
      : (host ?? ctx.hostBasics()).release;
  const system: SystemFacts = {
    os: { platform: ctx.platform, release, arch },
    cpu: machineCpu,
    ramBytes,
    freeDiskBytes,
    diskPath: freeDiskBytes === null ? null : diskPath,
  };

  const fromGraphics =
    graphics === null ? { gpus: [], notes: [] } : gpusFromGraphics(graphics.controllers ?? [], ctx.platform);
  return { kind: 'ok', gpus: fromGraphics.gpus, notes: [...notes, ...fromGraphics.notes], system };
}

export const systemAdapter: ProbeAdapter = {
  name: 'system',
  platforms: ['linux', 'darwin', 'win32', 'other'],
  probe: probeSystem,
};
