/**
 * The probe with its raw evidence kept: every tool run and file read, with a trimmed copy of what
 * came back. For bug reports (`genready check --report`): when a GPU is missed or misread, the
 * tool's own words show why. Built on the probe's seams, so nothing in the adapters changes.
 */
import { defaultExec, defaultReadFile, probeMachine } from './probe.ts';
import type { Exec, ProbeContext, ProbeResult, ReadFile } from './types.ts';

export interface ProbeCall {
  /** "nvidia-smi --query-gpu=…" or "read /sys/class/drm/card0/device/vendor". */
  what: string;
  outcome: 'ok' | 'missing' | 'timeout' | 'failed' | 'absent';
  /** The first lines of the output (stdout, else stderr), each cut to a readable width. */
  excerpt: string[];
  /** Lines left out of `excerpt`. */
  more: number;
}

const MAX_LINES = 4;
const MAX_CHARS = 160;

/** The first lines of `text`, without blanks, each at most MAX_CHARS. */
export function trimOutput(text: string, lines = MAX_LINES): { excerpt: string[]; more: number } {
  const all = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const excerpt = all.slice(0, lines).map((l) => (l.length > MAX_CHARS ? `${l.slice(0, MAX_CHARS - 1)}…` : l));
  return { excerpt, more: Math.max(0, all.length - lines) };
}

export async function probeRecorded(
  overrides: Partial<ProbeContext> = {},
): Promise<{ probe: ProbeResult; calls: ProbeCall[] }> {
  const calls: ProbeCall[] = [];
  const baseExec = overrides.exec ?? defaultExec;
  const baseRead = overrides.readFile ?? defaultReadFile;
  const exec: Exec = async (cmd, args, opts) => {
    const r = await baseExec(cmd, args, opts);
    const what = [cmd, ...args].join(' ');
    const text = r.kind === 'ok' ? r.stdout : r.kind === 'failed' ? r.stdout || r.stderr : '';
    calls.push({ what, outcome: r.kind, ...trimOutput(text) });
    return r;
  };
  const readFile: ReadFile = async (path) => {
    const r = await baseRead(path);
    calls.push({ what: `read ${path}`, outcome: r === null ? 'absent' : 'ok', ...trimOutput(r ?? '', 2) });
    return r;
  };
  const probe = await probeMachine({ ...overrides, exec, readFile });
  return { probe, calls };
}
