/**
 * macOS adapter: `system_profiler SPDisplaysDataType -json` names the GPUs (Apple SoC, or the
 * Intel/AMD/NVIDIA parts of an Intel Mac) and `sysctl -n hw.memsize machdep.cpu.brand_string
 * hw.optional.arm64` gives the RAM an Apple GPU shares.
 *
 * On Apple Silicon the GPU has no VRAM of its own: it addresses the unified RAM, of which Metal
 * lets one process keep roughly two thirds to three quarters resident (recommendedMaxWorkingSetSize).
 * We report the whole RAM with `unifiedMemory: true` and leave that cap to the planner, which knows
 * the workload. Older macOS names the Apple GPU "kHW_AppleM1Item" and puts the chip in sppci_model.
 */
import { execProblem, failed, GiB, looksBinary, MiB, plausibleVram, sourced, vendorFromName } from './_shared.ts';
import type { AdapterOutcome, DetectedGpu, GpuVendor, ProbeAdapter, ProbeContext, Sourced } from './types.ts';

export const SYSTEM_PROFILER_ARGS = ['SPDisplaysDataType', '-json'];
export const SYSCTL_ARGS = ['-n', 'hw.memsize', 'machdep.cpu.brand_string', 'hw.optional.arm64'];

export interface SysctlFacts {
  memBytes: number | null;
  cpuBrand: string | null;
  arm64: boolean;
}

/** Parses `sysctl -n hw.memsize machdep.cpu.brand_string hw.optional.arm64`: one value per line. */
export function parseSysctl(stdout: string): SysctlFacts {
  const [mem, brand, arm] = stdout.split(/\r?\n/).map((l) => l.trim());
  const memBytes = mem !== undefined && /^\d+$/.test(mem) && plausibleVram(Number(mem)) ? Number(mem) : null;
  return {
    memBytes,
    cpuBrand: brand ? brand : null,
    // Intel Macs before Big Sur do not know hw.optional.arm64: sysctl prints nothing for it.
    arm64: arm === '1',
  };
}

interface SpDisplayItem {
  _name?: unknown;
  sppci_model?: unknown;
  spdisplays_vendor?: unknown;
  sppci_cores?: unknown;
  sppci_bus?: unknown;
  spdisplays_vram?: unknown;
  _spdisplays_vram?: unknown;
  spdisplays_vram_shared?: unknown;
}

/**
 * Parses system_profiler's displays JSON. `unifiedRamBytes` (from sysctl) becomes the memory of an
 * Apple GPU; without it the Apple GPU is still reported, with unknown memory.
 */
export function parseSystemProfiler(stdout: string, unifiedRamBytes: number | null = null): AdapterOutcome {
  if (stdout.trim() === '') return failed('unparseable', 'system_profiler printed nothing', 'empty-output');
  if (looksBinary(stdout)) return failed('unparseable', 'system_profiler output is not text', 'binary-output');
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    return failed('unparseable', 'system_profiler output is not JSON', 'not-json');
  }
  const items =
    typeof data === 'object' && data !== null && !Array.isArray(data)
      ? (data as Record<string, unknown>).SPDisplaysDataType
      : undefined;
  if (!Array.isArray(items)) {
    return failed('unparseable', 'system_profiler JSON has no SPDisplaysDataType list', 'not-object');
  }

  const notes: string[] = [];
  const gpus: DetectedGpu[] = [];
  items.forEach((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null) return;
    const item = raw as SpDisplayItem;
    const model = str(item.sppci_model);
    const label = str(item._name);
    const name = model ?? (label && !label.startsWith('kHW_') ? label : null);
    if (name === null) {
      notes.push(`system_profiler: display entry ${index} has no model name; ignored`);
      return;
    }
    const vendor = vendorOf(str(item.spdisplays_vendor), name);
    const builtIn = /builtin/i.test(str(item.sppci_bus) ?? '');
    const cores = Number(str(item.sppci_cores));

    if (vendor === 'Apple') {
      if (unifiedRamBytes === null)
        notes.push(`system_profiler: ${name} shares system RAM, but hw.memsize was not read`);
      gpus.push({
        name: sourced(name, 'system_profiler', 'measured'),
        vendor,
        memoryTotalBytes: unifiedRamBytes === null ? null : sourced(unifiedRamBytes, 'sysctl', 'measured'),
        memoryFreeBytes: null,
        memoryUsedBytes: null,
        unifiedMemory: true,
        index,
        integrated: true,
        backendHint: 'metal',
      });
      if (Number.isInteger(cores) && cores > 0) notes.push(`system_profiler: ${name} has ${cores} GPU cores`);
      return;
    }

    // Intel Macs: a discrete GPU lists dedicated VRAM; an integrated one lists a shared amount.
    const dedicated = sizeOf(str(item.spdisplays_vram) ?? str(item._spdisplays_vram));
    const shared = sizeOf(str(item.spdisplays_vram_shared));
    const integrated = dedicated === null && (shared !== null || builtIn || vendor === 'Intel');
    const mem: Sourced<number> | null =
      dedicated !== null
        ? sourced(dedicated, 'system_profiler', 'reported')
        : shared !== null
          ? sourced(shared, 'system_profiler', 'reported')
          : null;
    gpus.push({
      name: sourced(name, 'system_profiler', 'measured'),
      vendor,
      memoryTotalBytes: mem,
      memoryFreeBytes: null,
      memoryUsedBytes: null,
      unifiedMemory: integrated,
      index,
      integrated,
      // PyTorch on macOS drives every GPU it can through Metal (MPS); CUDA on macOS ended in 2019.
      backendHint: 'metal',
    });
  });

  if (gpus.length === 0) {
    return { kind: 'ok', gpus, notes: notes.length ? notes : ['system_profiler lists no graphics devices'] };
  }
  return { kind: 'ok', gpus, notes };
}

/** The Apple GPU implied by an Apple Silicon CPU brand ("Apple M2 Pro"), or null. */
export function appleSocFromSysctl(facts: SysctlFacts): DetectedGpu | null {
  if (!facts.arm64 || facts.cpuBrand === null || !/^Apple\b/.test(facts.cpuBrand)) return null;
  return {
    name: sourced(facts.cpuBrand, 'sysctl', 'derived'),
    vendor: 'Apple',
    memoryTotalBytes: facts.memBytes === null ? null : sourced(facts.memBytes, 'sysctl', 'measured'),
    memoryFreeBytes: null,
    memoryUsedBytes: null,
    unifiedMemory: true,
    index: 0,
    integrated: true,
    backendHint: 'metal',
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

function vendorOf(raw: string | null, name: string): GpuVendor {
  // 'sppci_vendor_Apple', 'sppci_vendor_amd', 'AMD (0x1002)', 'NVIDIA (0x10de)', 'Intel'
  const fromVendor = raw === null ? 'other' : vendorFromName(raw.replace(/^sppci_vendor_/i, ''));
  return fromVendor !== 'other' ? fromVendor : vendorFromName(name);
}

/** '4 GB', '1536 MB' → bytes (system_profiler uses binary units with decimal labels). */
function sizeOf(raw: string | null): number | null {
  const m = raw === null ? null : /^(\d+(?:\.\d+)?)\s*(MB|GB)$/i.exec(raw);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const bytes = Number(m[1]) * (m[2].toUpperCase() === 'GB' ? GiB : MiB);
  return plausibleVram(bytes) ? bytes : null;
}

export const macosAdapter: ProbeAdapter = {
  name: 'macos',
  platforms: ['darwin'],
  async probe(ctx: ProbeContext): Promise<AdapterOutcome> {
    const [sp, sc] = await Promise.all([
      ctx.exec('system_profiler', SYSTEM_PROFILER_ARGS, { timeoutMs: ctx.toolTimeoutMs }),
      ctx.exec('sysctl', SYSCTL_ARGS, { timeoutMs: ctx.toolTimeoutMs }),
    ]);
    const notes: string[] = [];
    // sysctl exits 1 on an unknown name but still prints the names it knows.
    const sysctlText = sc.kind === 'ok' ? sc.stdout : sc.kind === 'failed' ? sc.stdout : '';
    const facts = parseSysctl(sysctlText);
    if (facts.memBytes === null) notes.push(`sysctl: hw.memsize not read (${sc.kind})`);
    if (facts.arm64 && ctx.arch !== 'arm64') {
      // An x64 build under Rosetta 2 cannot use Metal from native arm64 Python wheels.
      notes.push(
        'macos: this process runs under Rosetta (x64 on Apple Silicon); use native arm64 tools for generation',
      );
    }
    if (sp.kind !== 'ok') {
      const problem = execProblem('system_profiler', sp, ctx.toolTimeoutMs);
      const soc = appleSocFromSysctl(facts);
      // On Apple Silicon the CPU brand names the SoC, and so the GPU: enough to go on.
      if (soc !== null)
        return {
          kind: 'ok',
          gpus: [soc],
          notes: [...problem.notes, 'macos: GPU taken from the SoC name in sysctl', ...notes],
        };
      return { ...problem, notes: [...problem.notes, ...notes] };
    }
    const parsed = parseSystemProfiler(sp.stdout, facts.memBytes);
    return { ...parsed, notes: [...parsed.notes, ...notes] };
  },
};
