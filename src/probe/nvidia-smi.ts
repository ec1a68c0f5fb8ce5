/**
 * nvidia-smi adapter (Linux and Windows). One CSV query gives name, memory, driver, power, PCIe
 * link and MIG mode per GPU. Memory comes in MiB (`nounits`).
 *
 * Known behaviours handled here, each seen in public bug reports:
 * - unsupported fields print `[N/A]` (newer drivers) or `[Not Supported]` (older drivers);
 * - drivers older than a field (e.g. mig.mode.current before R450) reject the whole query with
 *   `Field "…" is not a valid field to query.`, so we retry once with the core fields;
 * - a broken driver prints "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA
 *   driver" and exits 9; a driver with no board prints "No devices were found";
 * - warnings such as "WARNING: infoROM is corrupted at gpu …" are interleaved with CSV rows, and
 *   nvidia-smi then exits 14 although the rows are fine;
 * - Windows output ends lines with CRLF.
 */
import {
  execProblem,
  failed,
  firstLine,
  looksBinary,
  MiB,
  parseNumber,
  plausibleVram,
  printable,
  sourced,
} from './_shared.ts';
import type { AdapterOutcome, DetectedGpu, ProbeAdapter, ProbeContext } from './types.ts';

export const NVIDIA_FIELDS = [
  'index',
  'name',
  'memory.total',
  'memory.used',
  'memory.free',
  'driver_version',
  'power.limit',
  'power.max_limit',
  'pcie.link.gen.current',
  'pcie.link.gen.max',
  'pcie.link.width.current',
  'pcie.link.width.max',
  'mig.mode.current',
] as const;

/** What every driver since the Kepler era answers; used when the full query is rejected. */
export const NVIDIA_CORE_FIELDS = [
  'index',
  'name',
  'memory.total',
  'memory.used',
  'memory.free',
  'driver_version',
] as const;

export type NvidiaField = (typeof NVIDIA_FIELDS)[number];

export function nvidiaSmiArgs(fields: readonly NvidiaField[] = NVIDIA_FIELDS): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
}

const SOURCE = 'nvidia-smi';

/**
 * Parses `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits`. Pure.
 * Rows that cannot be trusted (bad index, empty name, corrupt memory, cut off mid-line) are
 * dropped with a note rather than reported with made-up numbers.
 */
export function parseNvidiaSmi(stdout: string, fields: readonly NvidiaField[] = NVIDIA_FIELDS): AdapterOutcome {
  if (stdout.trim() === '') return failed('unparseable', 'nvidia-smi printed nothing', 'empty-output');
  if (looksBinary(stdout)) return failed('unparseable', 'nvidia-smi output is not text', 'binary-output');

  const driverFailure =
    /NVIDIA-SMI has failed|couldn't communicate with the NVIDIA driver|Failed to initialize NVML|Driver\/library version mismatch/i;
  if (driverFailure.test(stdout)) {
    return failed('unparseable', `nvidia-smi cannot reach the driver: ${firstLine(stdout)}`, 'driver-unavailable');
  }
  if (/^\s*No devices were found\s*$/im.test(stdout)) {
    return { kind: 'ok', gpus: [], notes: ['nvidia-smi: no NVIDIA devices were found'] };
  }

  const col = (name: NvidiaField): number => fields.indexOf(name);
  const notes: string[] = [];
  const gpus: DetectedGpu[] = [];
  const lines = stdout.split(/\r?\n/);
  // A final line without its newline may have been cut off mid-value (a killed process, a full pipe).
  const unterminated = !/\r?\n$/.test(stdout);

  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const index = Number(cells[col('index')]);
    const looksLikeRow = cells.length >= 3 && /^\d+$/.test(cells[col('index')] ?? '');
    if (!looksLikeRow) {
      notes.push(`nvidia-smi: skipped a line that is not a GPU row: "${printable(line).slice(0, 80)}"`);
      return;
    }
    const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
    if (cells.length < fields.length) {
      if (isLast && unterminated) {
        notes.push(`nvidia-smi: GPU row ${index} is cut off (${cells.length} of ${fields.length} columns); ignored`);
        return;
      }
      notes.push(
        `nvidia-smi: GPU row ${index} has ${cells.length} of ${fields.length} columns; the missing ones are unknown`,
      );
    }
    const cell = (name: NvidiaField): string | undefined => {
      const c = col(name);
      return c < 0 ? undefined : cells[c];
    };

    const name = cell('name') ?? '';
    if (name === '' || /^\[.*\]$/.test(name)) {
      notes.push(`nvidia-smi: GPU row ${index} has no name; ignored`);
      return;
    }

    const totalMiB = parseNumber(cell('memory.total'));
    if (totalMiB !== null && !plausibleVram(totalMiB * MiB)) {
      notes.push(
        `nvidia-smi: GPU ${index} (${name}) reports an impossible memory.total "${cell('memory.total')}"; row ignored`,
      );
      return;
    }
    const total = totalMiB === null ? null : totalMiB * MiB;
    let used = mibOrNull(parseNumber(cell('memory.used')));
    let free = mibOrNull(parseNumber(cell('memory.free')));
    if (total !== null && ((used !== null && used > total) || (free !== null && free > total))) {
      notes.push(`nvidia-smi: GPU ${index} used/free exceed total; treated as unknown`);
      used = null;
      free = null;
    }

    const mig = cell('mig.mode.current');
    const migMode =
      mig === undefined ? undefined : /^enabled$/i.test(mig) ? true : /^disabled$/i.test(mig) ? false : undefined;
    if (migMode === true) {
      notes.push(
        `nvidia-smi: MIG is enabled on GPU ${index}; a process sees only its MIG slice, not the whole ${name}`,
      );
    }

    const gpu: DetectedGpu = {
      name: sourced(name, SOURCE, 'measured'),
      vendor: 'NVIDIA',
      memoryTotalBytes: total === null ? null : sourced(total, SOURCE, 'measured'),
      memoryUsedBytes: used === null ? null : sourced(used, SOURCE, 'measured'),
      memoryFreeBytes: free === null ? null : sourced(free, SOURCE, 'measured'),
      unifiedMemory: false,
      index,
      // nvidia-smi has no integrated-GPU field; the only integrated NVIDIA parts (Jetson, GB10)
      // report unified memory through other means, so discrete is the honest default here.
      integrated: false,
      backendHint: 'cuda',
    };
    const driver = cell('driver_version');
    if (driver !== undefined && parseNumber(driver) !== null && /^[\d.]+$/.test(driver)) gpu.driverVersion = driver;
    const powerLimit = parseNumber(cell('power.limit'));
    if (powerLimit !== null && powerLimit > 0 && powerLimit < 5000)
      gpu.powerLimitW = sourced(powerLimit, SOURCE, 'measured');
    const powerMax = parseNumber(cell('power.max_limit'));
    if (powerMax !== null && powerMax > 0 && powerMax < 5000) gpu.powerMaxW = powerMax;
    const gen = intIn(parseNumber(cell('pcie.link.gen.current')), 1, 7);
    const lanes = intIn(parseNumber(cell('pcie.link.width.current')), 1, 32);
    if (gen !== null && lanes !== null) {
      gpu.pcie = { gen, lanes };
      const maxGen = intIn(parseNumber(cell('pcie.link.gen.max')), 1, 7);
      const maxLanes = intIn(parseNumber(cell('pcie.link.width.max')), 1, 32);
      if (maxGen !== null) gpu.pcie.maxGen = maxGen;
      if (maxLanes !== null) gpu.pcie.maxLanes = maxLanes;
    }
    if (migMode !== undefined) gpu.migMode = migMode;
    if (total === null) notes.push(`nvidia-smi: GPU ${index} (${name}) does not report memory.total`);
    gpus.push(gpu);
  });

  if (gpus.length === 0) {
    return {
      kind: 'unparseable',
      gpus: [],
      notes: notes.length ? notes : ['nvidia-smi: no GPU rows'],
      detail: 'no-valid-rows',
    };
  }
  return { kind: 'ok', gpus, notes };
}

function prependNotes(outcome: AdapterOutcome, notes: string[]): AdapterOutcome {
  return notes.length === 0 ? outcome : { ...outcome, notes: [...notes, ...outcome.notes] };
}

function mibOrNull(v: number | null): number | null {
  if (v === null || !Number.isFinite(v) || v < 0) return null;
  return v * MiB;
}

function intIn(v: number | null, lo: number, hi: number): number | null {
  return v !== null && Number.isInteger(v) && v >= lo && v <= hi ? v : null;
}

export const nvidiaSmiAdapter: ProbeAdapter = {
  name: 'nvidia-smi',
  platforms: ['linux', 'win32'],
  async probe(ctx: ProbeContext): Promise<AdapterOutcome> {
    const timeoutMs = ctx.toolTimeoutMs;
    let fields: readonly NvidiaField[] = NVIDIA_FIELDS;
    let r = await ctx.exec('nvidia-smi', nvidiaSmiArgs(fields), { timeoutMs });
    const retryNote: string[] = [];
    if (r.kind === 'failed' && /not a valid field to query/i.test(r.stdout + r.stderr)) {
      // An older driver that predates one of the fields; ask again for what every driver knows.
      retryNote.push(
        `nvidia-smi: driver rejected the full query (${firstLine(r.stdout + r.stderr)}); retried with core fields`,
      );
      fields = NVIDIA_CORE_FIELDS;
      r = await ctx.exec('nvidia-smi', nvidiaSmiArgs(fields), { timeoutMs });
    }
    if (r.kind === 'failed' && r.stdout.trim() !== '') {
      // nvidia-smi exits non-zero with its explanation on stdout (driver failure: 9, no devices: 6).
      // Keep that explanation; rows printed by a failing run are not trusted.
      const parsed = parseNvidiaSmi(r.stdout, fields);
      if (parsed.kind !== 'ok' || parsed.gpus.length === 0) return prependNotes(parsed, retryNote);
      // Exit 14 is a warning (e.g. "infoROM is corrupted"): the rows are real and usable.
      if (r.code === 14)
        return prependNotes(parsed, [
          ...retryNote,
          `nvidia-smi exited with warning code 14: ${firstLine(r.stderr || r.stdout)}`,
        ]);
    }
    if (r.kind !== 'ok') return prependNotes(execProblem('nvidia-smi', r, timeoutMs), retryNote);
    return prependNotes(parseNvidiaSmi(r.stdout, fields), retryNote);
  },
};
