/**
 * probeMachine: runs the platform's adapters (see platforms.ts) side by side, each under a deadline,
 * and merges what they saw into one ProbeResult. It never throws and never hangs: a missing tool, a
 * hung tool, garbage output or an adapter bug each become an adapter outcome plus a one-line note.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import os from 'node:os';
import si from 'systeminformation';
import { errorMessage, execTool, formatSeconds, nameKey, withDeadline } from './_shared.ts';
import { CLOCK_ENV, PINNABLE_GHZ, pinnedClockGHz, thisCoreClock } from './clock.ts';
import { adaptersFor, detectPlatform } from './platforms.ts';
import type {
  AdapterOutcome,
  AdapterReport,
  DetectedGpu,
  Exec,
  ExecResult,
  HostBasics,
  ProbeAdapter,
  ProbeContext,
  ProbeResult,
  ReadFile,
  SystemFacts,
  SystemInfoSource,
} from './types.ts';

export const DEFAULT_TOOL_TIMEOUT_MS = 5000;

/** Extra time a tool gets past its own timeout before the guard gives up on it (kill + reap). */
const EXEC_GUARD_SLACK_MS = 250;

/** Production exec: no shell, own process group killed on timeout (see execTool in _shared.ts). */
export const defaultExec: Exec = execTool;

/** Production readFile: utf8 text, or null when the file is absent or unreadable. */
export const defaultReadFile: ReadFile = async (path) => {
  try {
    return await fsReadFile(path, 'utf8');
  } catch {
    return null;
  }
};

export const defaultSystemInfo: SystemInfoSource = {
  cpu: () => si.cpu(),
  cpuFlags: () => si.cpuFlags(),
  mem: () => si.mem(),
  osInfo: () => si.osInfo(),
  fsSize: () => si.fsSize(),
  graphics: () => si.graphics(),
};

export const defaultHostBasics = (): HostBasics => ({
  cpuModel: os.cpus()[0]?.model?.trim() ?? '',
  logicalCpus: os.availableParallelism(),
  totalMemBytes: os.totalmem(),
  release: `${os.type()} ${os.release()}`,
});

export function defaultContext(overrides: Partial<ProbeContext> = {}): ProbeContext {
  const toolTimeoutMs = overrides.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const env = overrides.env ?? process.env;
  return {
    platform: detectPlatform(process.platform),
    arch: process.arch,
    exec: defaultExec,
    readFile: defaultReadFile,
    si: defaultSystemInfo,
    hostBasics: defaultHostBasics,
    coreClock: () => thisCoreClock(env),
    env,
    homedir: os.homedir(),
    // Adapters run at most two tools one after the other (nvidia-smi's retry); one second on top
    // covers parsing and process teardown.
    adapterTimeoutMs: 2 * toolTimeoutMs + 1000,
    ...overrides,
    toolTimeoutMs,
  };
}

/** Wraps the seams so a fake or a stuck syscall cannot outlive its deadline or throw. */
function guarded(ctx: ProbeContext): ProbeContext {
  const exec: Exec = (cmd, args, opts) =>
    withDeadline(
      Promise.resolve()
        .then(() => ctx.exec(cmd, args, opts))
        .catch((e: unknown): ExecResult => ({ kind: 'failed', code: null, stderr: errorMessage(e), stdout: '' })),
      opts.timeoutMs + EXEC_GUARD_SLACK_MS,
      (): ExecResult => ({ kind: 'timeout' }),
    );
  const readFile: ReadFile = (path) =>
    withDeadline(
      Promise.resolve()
        .then(() => ctx.readFile(path))
        .catch(() => null),
      ctx.toolTimeoutMs,
      () => null,
    );
  return { ...ctx, exec, readFile };
}

/**
 * Runs one adapter the way probeMachine does (guarded seams, whole-adapter deadline, throws caught).
 * Exported for the conformance suite and for callers that want a single source.
 */
export function runAdapter(adapter: ProbeAdapter, overrides: Partial<ProbeContext> = {}): Promise<AdapterOutcome> {
  return runGuarded(adapter, guarded(defaultContext(overrides)));
}

async function runGuarded(adapter: ProbeAdapter, ctx: ProbeContext): Promise<AdapterOutcome> {
  try {
    return await withDeadline(
      adapter.probe(ctx),
      ctx.adapterTimeoutMs,
      (): AdapterOutcome => ({
        kind: 'timeout',
        gpus: [],
        notes: [`${adapter.name} timed out after ${formatSeconds(ctx.adapterTimeoutMs)}`],
      }),
    );
  } catch (e) {
    return {
      kind: 'unparseable',
      gpus: [],
      notes: [`${adapter.name} failed: ${errorMessage(e)}`],
      detail: 'adapter-threw',
    };
  }
}

const MEMORY_MATCH_TOLERANCE = 0.05;

function sameCard(a: DetectedGpu, b: DetectedGpu): boolean {
  if (a.vendor !== b.vendor) return false;
  const ta = a.memoryTotalBytes?.value;
  const tb = b.memoryTotalBytes?.value;
  if (ta !== undefined && tb !== undefined && Math.abs(ta - tb) > MEMORY_MATCH_TOLERANCE * Math.max(ta, tb))
    return false;
  // A name built from a PCI id ('derived') says nothing about the model; vendor and memory decide.
  if (a.name.from.confidence === 'derived' || b.name.from.confidence === 'derived') return true;
  const ka = nameKey(a.name.value);
  const kb = nameKey(b.name.value);
  return ka === kb || (ka !== '' && kb !== '' && (ka.includes(kb) || kb.includes(ka)));
}

/** Keeps `base`'s known fields; fills its unknown ones from `extra` (a lower-priority source). */
function fillFrom(base: DetectedGpu, extra: DetectedGpu): DetectedGpu {
  const out: DetectedGpu = { ...base };
  if (base.name.from.confidence === 'derived' && extra.name.from.confidence !== 'derived') out.name = extra.name;
  out.memoryTotalBytes ??= extra.memoryTotalBytes;
  out.memoryFreeBytes ??= extra.memoryFreeBytes;
  out.memoryUsedBytes ??= extra.memoryUsedBytes;
  if (out.driverVersion === undefined && extra.driverVersion !== undefined) out.driverVersion = extra.driverVersion;
  if (out.powerLimitW === undefined && extra.powerLimitW !== undefined) out.powerLimitW = extra.powerLimitW;
  if (out.powerMaxW === undefined && extra.powerMaxW !== undefined) out.powerMaxW = extra.powerMaxW;
  if (out.pcie === undefined && extra.pcie !== undefined) out.pcie = extra.pcie;
  if (out.migMode === undefined && extra.migMode !== undefined) out.migMode = extra.migMode;
  return out;
}

/**
 * Merges GPU lists given in priority order. A GPU from a later list that matches an earlier one
 * (same vendor, compatible name, memory within 5 %) only fills that one's unknown fields; each
 * earlier GPU absorbs at most one GPU per list, so two identical cards stay two.
 */
export function mergeGpus(lists: readonly (readonly DetectedGpu[])[]): DetectedGpu[] {
  const merged: DetectedGpu[] = [];
  for (const list of lists) {
    const taken = new Set<number>();
    const additions: DetectedGpu[] = [];
    for (const gpu of list) {
      const at = merged.findIndex((m, i) => !taken.has(i) && sameCard(m, gpu));
      if (at >= 0) {
        taken.add(at);
        merged[at] = fillFrom(merged[at] as DetectedGpu, gpu);
      } else {
        additions.push(gpu);
      }
    }
    merged.push(...additions);
  }
  return merged;
}

function fallbackSystem(ctx: ProbeContext): SystemFacts {
  const h = ctx.hostBasics();
  const arm = /^(arm64|aarch64)$/.test(ctx.arch);
  return {
    os: { platform: ctx.platform, release: h.release, arch: ctx.arch },
    cpu: {
      model: h.cpuModel || 'unknown CPU',
      vendor: '',
      cores: Math.max(1, h.logicalCpus),
      threads: Math.max(1, h.logicalCpus),
      clockGHz: ctx.coreClock(),
      simd: { avx2: false, avx512: false, avx512Halves: false, amx: false, neon: arm },
      from: { source: 'node:os', confidence: 'reported' },
    },
    ramBytes: { value: h.totalMemBytes, from: { source: 'node:os', confidence: 'reported' } },
    freeDiskBytes: null,
    diskPath: null,
  };
}

/** Advice a person can act on, drawn from what the adapters saw together. */
function crossNotes(
  gpus: readonly DetectedGpu[],
  outcomes: ReadonlyMap<string, AdapterOutcome>,
  ctx: ProbeContext,
): string[] {
  const notes: string[] = [];
  const nvidia = outcomes.get('nvidia-smi');
  if (nvidia !== undefined && nvidia.kind !== 'ok' && gpus.some((g) => g.vendor === 'NVIDIA')) {
    notes.push(
      'an NVIDIA GPU is present but nvidia-smi is missing or failing: install or repair the NVIDIA driver before generating on it',
    );
  }
  const rocm = outcomes.get('rocm-smi');
  if (
    ctx.platform === 'linux' &&
    rocm !== undefined &&
    rocm.kind === 'tool-missing' &&
    gpus.some((g) => g.vendor === 'AMD' && !g.integrated)
  ) {
    notes.push('an AMD GPU is present but rocm-smi is not installed: diffusion on it needs ROCm');
  }
  if (gpus.some((g) => g.migMode === true)) {
    notes.push('MIG is enabled: a job gets one MIG slice, smaller than the card memory shown');
  }
  return notes;
}

/**
 * Probes this machine (or the one the context fakes). Never throws. With no arguments it uses the
 * real tools; tests pass fake `exec`, `readFile`, `si` and `hostBasics`.
 */
export async function probeMachine(overrides: Partial<ProbeContext> = {}): Promise<ProbeResult> {
  const base = guarded(defaultContext(overrides));
  // The clock is timed before the adapters start their tools: processes they spawn would take
  // turns on the core the timing runs on.
  const clock = base.coreClock();
  const ctx: ProbeContext = { ...base, coreClock: () => clock };
  const adapters = adaptersFor(ctx.platform);
  const outcomes = await Promise.all(adapters.map((a) => runGuarded(a, ctx)));
  const byName = new Map(adapters.map((a, i) => [a.name as string, outcomes[i] as AdapterOutcome]));

  const reports: AdapterReport[] = adapters.map((a, i) => {
    const o = outcomes[i] as AdapterOutcome;
    // A person reads `detail`: the adapter's first note says what happened; the code is the fallback.
    const detail = o.kind === 'ok' ? undefined : (o.notes[0] ?? o.detail);
    return detail === undefined ? { name: a.name, outcome: o.kind } : { name: a.name, outcome: o.kind, detail };
  });

  const gpus = mergeGpus(outcomes.map((o) => o.gpus));
  const system = byName.get('system')?.system ?? fallbackSystem(ctx);
  // Missing optional tools are routine (no rocm-smi on an NVIDIA box); they stay in `adapters`.
  const notes = outcomes.flatMap((o) => (o.kind === 'tool-missing' || o.kind === 'not-applicable' ? [] : o.notes));
  if (byName.get('system')?.system === undefined)
    notes.push('system facts came from node:os (systeminformation unavailable)');
  notes.push(...crossNotes(gpus, byName, ctx));
  if (pinnedClockGHz(ctx.env) === 'invalid')
    notes.push(
      `${CLOCK_ENV}="${ctx.env[CLOCK_ENV]}" is not a clock in GHz (${PINNABLE_GHZ[0]}–${PINNABLE_GHZ[1]}): ignored`,
    );

  return {
    os: system.os,
    cpu: system.cpu,
    ramBytes: system.ramBytes,
    freeDiskBytes: system.freeDiskBytes,
    diskPath: system.diskPath,
    gpus,
    status: gpus.length > 0 ? 'detected' : 'no-gpu',
    notes: [...new Set(notes)],
    adapters: reports,
  };
}
