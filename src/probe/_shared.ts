/** Small helpers the probe adapters share: outcome builders, plausibility checks, deadlines. */
import type { AdapterOutcome, BackendHint, Confidence, ExecResult, GpuVendor, Platform, Sourced } from './types.ts';

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
