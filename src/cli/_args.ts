/** Argument helpers shared by the commands: strict numbers, unknown-flag detection. */
import type { ArgsDef } from 'citty';
import { GenreadyError } from '../catalog/errors.ts';

export class UsageError extends GenreadyError {}

/** A number flag: absent → undefined; present but not a finite number → one-line error. */
export function num(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') throw new UsageError('bad-number', `--${name} needs a value`);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError('bad-number', `--${name} must be a number, got "${String(v)}"`);
  return n;
}

/** "1024x768" → [1024, 768]. */
export function size(v: string): [number, number] {
  const m = /^\s*(\d+)\s*[x×*]\s*(\d+)\s*$/i.exec(v);
  if (!m) throw new UsageError('bad-size', `--size must look like 1024x1024, got "${v}"`);
  return [Number(m[1]), Number(m[2])];
}

/** Reject flags the command does not define (citty lets them pass silently). */
export function rejectUnknownFlags(raw: readonly string[], defs: ArgsDef): void {
  const known = new Set<string>(['help', 'h']);
  for (const [name, d] of Object.entries(defs)) {
    known.add(name);
    known.add(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    for (const a of ['alias' in d && d.alias ? d.alias : []].flat()) known.add(a);
    if (d.type === 'boolean') known.add(`no-${name}`);
  }
  for (const r of raw) {
    if (!r.startsWith('-') || /^-\d/.test(r)) continue;
    const flag = r.replace(/^--?/, '').split('=')[0]!;
    if (!known.has(flag)) throw new UsageError('unknown-flag', `unknown option "${r}"; see --help`);
  }
}

const DURATION_UNITS: Record<string, number> = {
  m: 1 / 60,
  min: 1 / 60,
  h: 1,
  hr: 1,
  d: 24,
  day: 24,
  days: 24,
  w: 168,
};

/** "8h", "90m", "1h30m", "2d", or a bare number of hours → hours. */
export function hours(name: string, v: unknown): number | undefined {
  if (v === undefined || v === '') return undefined;
  const s = String(v).trim().toLowerCase();
  let total = 0;
  if (/^\d+(\.\d+)?$/.test(s)) total = Number(s);
  else {
    const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;
    let m: RegExpExecArray | null;
    let seen = 0;
    while ((m = re.exec(s))) {
      const unit = DURATION_UNITS[m[2]!];
      if (unit === undefined) break;
      total += Number(m[1]) * unit;
      seen = re.lastIndex;
    }
    if (seen !== s.length || seen === 0)
      throw new UsageError('bad-duration', `--${name} must look like 8h, 90m, 1h30m or 2d, got "${String(v)}"`);
  }
  if (!(total > 0) || total > 24 * 366 * 10)
    throw new UsageError('bad-duration', `--${name} must be between a minute and ten years, got "${String(v)}"`);
  return total;
}

/** A positive number with an upper bound, or a one-line error. */
export function positive(
  name: string,
  v: unknown,
  max: number,
  opts: { integer?: boolean; zero?: boolean } = {},
): number | undefined {
  const n = num(name, v);
  if (n === undefined) return undefined;
  if ((opts.zero ? n < 0 : n <= 0) || n > max || (opts.integer && !Number.isInteger(n))) {
    throw new UsageError(
      'bad-number',
      `--${name} must be ${opts.integer ? 'a whole number' : 'a number'} ${opts.zero ? 'from 0' : 'above 0'} up to ${max}, got "${String(v)}"`,
    );
  }
  return n;
}
