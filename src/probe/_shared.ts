/** Small helpers the probe adapters share: outcome builders, plausibility checks, deadlines, exec. */
import { spawn } from 'node:child_process';
import type {
  AdapterOutcome,
  BackendHint,
  Confidence,
  Exec,
  ExecResult,
  GpuVendor,
  Platform,
  Sourced,
} from './types.ts';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * Plausible device-memory bounds. The smallest GPU worth reporting has tens of MiB; the largest
 * shipping accelerator has under 300 GiB (B300: 288 GB) and unified-memory SoCs top out near
 * 512 GiB. Anything outside is a corrupt reading, and a corrupt reading must not become a GPU.
 */
const MIN_PLAUSIBLE_VRAM = 16 * MiB;
const MAX_PLAUSIBLE_VRAM = 2048 * GiB;

export function sourced<T>(value: T, source: string, confidence: Confidence): Sourced<T> {
  return { value, from: { source, confidence } };
}

export function failed(kind: Exclude<AdapterOutcome['kind'], 'ok'>, note: string, detail?: string): AdapterOutcome {
  return detail === undefined ? { kind, gpus: [], notes: [note] } : { kind, gpus: [], notes: [note], detail };
}

/** Maps a non-ok exec result to an adapter outcome with a one-line note. */
export function execProblem(tool: string, r: Exclude<ExecResult, { kind: 'ok' }>, timeoutMs: number): AdapterOutcome {
  switch (r.kind) {
    case 'missing':
      return failed('tool-missing', `${tool} not found on PATH`);
    case 'timeout':
      return failed('timeout', `${tool} timed out after ${formatSeconds(timeoutMs)}`);
    case 'failed':
      return failed(
        'unparseable',
        `${tool} exited with code ${r.code ?? 'unknown'}: ${firstLine(r.stderr || r.stdout) || 'no message'}`,
        'tool-failed',
      );
  }
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

export function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return printable(line.trim()).slice(0, 160);
}

/** Replaces control and non-text characters so a note stays one readable line. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?');
}

/** True when the text is mostly binary noise rather than tool output. */
export function looksBinary(text: string): boolean {
  if (text.length === 0) return false;
  let bad = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffd) bad++;
  }
  return bad / text.length > 0.02;
}

/** Parses a finite number from tool text; null for '', 'N/A', '[Not Supported]' and friends. */
export function parseNumber(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const t = raw.trim();
  if (
    t === '' ||
    /^\[?(n\/a|not supported|unknown|insufficient permissions|requested functionality has been deprecated)\]?$/i.test(t)
  ) {
    return null;
  }
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*[A-Za-z%]+)?$/.exec(t);
  if (!m || m[1] === undefined) return Number.NaN;
  return Number(m[1]);
}

export function plausibleVram(bytes: number): boolean {
  return Number.isFinite(bytes) && bytes >= MIN_PLAUSIBLE_VRAM && bytes <= MAX_PLAUSIBLE_VRAM;
}

/** Vendor from a PCI vendor id ('0x10de', '10DE'). */
export function vendorFromPciId(id: string | undefined): GpuVendor | null {
  const hex = id?.trim().toLowerCase().replace(/^0x/, '');
  switch (hex) {
    case '10de':
      return 'NVIDIA';
    case '1002':
      return 'AMD';
    case '8086':
      return 'Intel';
    case '106b':
      return 'Apple';
    default:
      return null;
  }
}

/** Vendor from a marketing name or vendor string; 'other' when nothing matches. */
export function vendorFromName(name: string): GpuVendor {
  const n = name.toLowerCase();
  if (/nvidia|geforce|quadro|tesla|titan|\brtx\b|\bgtx\b/.test(n)) return 'NVIDIA';
  if (/\bamd\b|radeon|advanced micro devices|\bati\b|instinct/.test(n)) return 'AMD';
  if (/intel|\barc\b|iris|uhd graphics/.test(n)) return 'Intel';
  if (/apple/.test(n) || /^m[1-9]( pro| max| ultra)?\b/.test(n)) return 'Apple';
  return 'other';
}

/** The stack a PyTorch-class tool would drive this GPU through on this OS. */
export function backendFor(vendor: GpuVendor, platform: Platform): BackendHint {
  switch (vendor) {
    case 'NVIDIA':
      return 'cuda';
    case 'Apple':
      return 'metal';
    // ROCm and oneAPI ship for Linux; on Windows the baseline that drives every AMD and Intel
    // GPU is DirectML (ROCm's Windows HIP SDK and IPEX exist but cover fewer cards).
    case 'AMD':
      return platform === 'linux' ? 'rocm' : 'directml';
    case 'Intel':
      return platform === 'linux' ? 'oneapi' : 'directml';
    default:
      return 'cpu';
  }
}

/** Normalised GPU name for matching the same card across tools. */
export function nameKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/\((r|tm)\)|®|™/g, '')
    .replace(/\b(nvidia|amd|intel|apple|corporation|advanced micro devices|inc)\b/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * Resolves to `fallback` when `work` has not settled within `ms`. A hung child process, a stuck
 * file read or a fake that never answers must not hang the probe. The timer is cleared as soon as
 * `work` settles; it is deliberately not unref'd, since it may be the only thing the caller awaits.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(fallback()), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function errorMessage(e: unknown): string {
  return (
    printable(e instanceof Error ? e.message : String(e))
      .split('\n')[0]
      ?.slice(0, 160) ?? 'unknown error'
  );
}

/** Most output a tool may print before it is stopped (nvidia-smi with many GPUs prints a few KiB). */
const EXEC_MAX_BUFFER = 16 * MiB;

/**
 * Kill a child and everything it started. On POSIX the child leads its own process group (spawned
 * detached), so one signal to -pid reaches grandchildren too: a wrapper script around a tool, or a
 * tool that forks a helper, would otherwise be orphaned still running (issue 20 saw five). Windows
 * has no process groups: `taskkill /T` walks the tree.
 */
export function killTree(pid: number): void {
  try {
    if (process.platform === 'win32')
      spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on(
        'error',
        () => {},
      );
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone (ESRCH): nothing left to stop.
  }
}

/**
 * Production exec: the tool without a shell, in its own process group, killed with all its
 * descendants after `timeoutMs`; ENOENT means the tool is missing. Output beyond 16 MiB stops it too
 * (a tool stuck in a loop printing must not fill memory).
 */
export const execTool: Exec = (cmd, args, { timeoutMs }) =>
  new Promise<ExecResult>((resolve) => {
    let settled = false;
    const done = (r: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let timedOut = false;
    let tooMuch = false;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
        windowsHide: true,
        // A C locale keeps decimal points and English messages stable on POSIX; reg.exe output is
        // localized regardless and its parser does not depend on the language.
        env: process.platform === 'win32' ? process.env : { ...process.env, LC_ALL: 'C' },
      });
    } catch (e) {
      resolve({ kind: 'failed', code: null, stderr: errorMessage(e), stdout: '' });
      return;
    }
    const stop = () => {
      if (child.pid !== undefined) killTree(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > EXEC_MAX_BUFFER) {
        tooMuch = true;
        stop();
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return done({ kind: 'missing' });
      done({ kind: 'failed', code: null, stderr: errorMessage(err), stdout: '' });
    });
    // 'close' waits for the pipes, which a grandchild holding them keeps open until the group is killed.
    child.on('close', (code) => {
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) return done({ kind: 'timeout' });
      if (tooMuch) return done({ kind: 'failed', code: null, stderr: 'output larger than 16 MiB', stdout: '' });
      if (code === 0) return done({ kind: 'ok', stdout: out });
      done({ kind: 'failed', code, stderr: err || `exited with code ${code ?? 'unknown'}`, stdout: out });
    });
  });
