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
