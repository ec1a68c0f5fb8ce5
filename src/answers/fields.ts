/**
 * The one place where request values are parsed: numbers, sizes ("1024x1024"), durations ("8h"),
 * names and choices. Each parser takes what an interface received (a CLI string, a JSON value) and
 * returns a typed value or throws a `Problem` worded without the field's name; `field()` turns a
 * parser into a zod schema member whose issues carry the problem, and request.ts names the field.
 */
import { z } from 'zod';
import { versionNumber } from '../cost/workload.ts';
import { readSize } from '../text/size.ts';
import { type MessagePart, ref, said, shown } from './errors.ts';

/** What is wrong with one value; `parts` follow the field's name ("must be a number, got …"). */
export class Problem extends Error {
  constructor(
    readonly code: string,
    readonly parts: readonly MessagePart[],
    /** The parts already name the field where they want it (no name in front). */
    readonly whole = false,
  ) {
    super(parts.map((p) => (typeof p === 'string' ? p : p.field)).join(''));
  }
}

const problem = (code: string, ...parts: MessagePart[]) => new Problem(code, parts);

/**
 * A parser as a zod member (`.optional()` when it may be absent): a Problem becomes an issue that
 * request.ts words with the field's name.
 */
export function field<T>(parse: (v: unknown) => T) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required', input: v, params: { missing: true } });
      return z.NEVER;
    }
    try {
      return parse(v);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, input: v, params: { problem: err } });
      return z.NEVER;
    }
  });
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  const t = typeof v;
  return t === 'object' ? 'an object' : t === 'boolean' ? 'true/false' : `a ${t}`;
}

/** A present value that is empty ("--device ''", `{"width": ""}`) is an error, never "not given". */
function nonEmpty(v: unknown): string {
  if (typeof v !== 'string') throw problem('bad-type', `must be a string, got ${typeName(v)}`);
  if (!v.trim()) throw problem('empty-value', 'needs a value (it is empty)');
  return v;
}

/** A name or free text: a non-empty string up to `max` characters. */
export const text =
  (max = 200) =>
  (v: unknown): string => {
    const s = nonEmpty(v).trim();
    if (s.length > max) throw problem('too-long', `is too long (${s.length} characters; at most ${max})`);
    return s;
  };

/** Plain decimal numbers only: "0x400" is not 1024, "1e3" is 1000, "" is not 0. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

export interface NumberRule {
  /** Smallest allowed value; `above` makes it exclusive. */
  min?: number;
  above?: number;
  max: number;
  integer?: boolean;
}

/** A number, from a JSON number or a decimal string; bounds and wholeness checked. */
export const number =
  (rule: NumberRule) =>
  (v: unknown): number => {
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'string') {
      const s = nonEmpty(v).trim();
      if (!DECIMAL.test(s)) throw problem('bad-number', `must be a number, got ${shown(v)}`);
      n = Number(s);
    } else throw problem('bad-number', `must be a number, got ${typeName(v)}`);
    const got = `, got ${shown(typeof v === 'string' ? v.trim() : n)}`;
    const what = rule.integer ? 'a whole number' : 'a number';
    if (!Number.isFinite(n)) throw problem('bad-number', `must be a number${got}`);
    if (rule.integer && !Number.isInteger(n)) throw problem('bad-number', `must be a whole number${got}`);
    if (rule.above !== undefined && !(n > rule.above))
      throw problem('bad-number', `must be ${what} above ${rule.above}${got}`);
    if (rule.min !== undefined && n < rule.min) throw problem('bad-number', `must be ${what} from ${rule.min}${got}`);
    if (n > rule.max) throw problem('bad-number', `is above the supported maximum ${rule.max}${got}`);
    return n;
  };

/** A software release: "6.4", "2.5.1" (patch dropped) or a number; as versionNumber orders it. */
export function version(v: unknown): number {
  if (typeof v !== 'number') nonEmpty(v);
  const n = versionNumber(v as string | number);
  if (n === null || n <= 0) throw problem('bad-version', `must be a version such as 6.4 or 2.5.1, got ${shown(v)}`);
  return n;
}

/** A whole number above 0 up to `max`. */
export const count = (max: number) => number({ above: 0, max, integer: true });

/** true/false; the strings a form or query sends ("1", "true", "0", "false") too. */
export function flag(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw problem('bad-type', `must be true or false, got ${typeof v === 'string' ? shown(v) : typeName(v)}`);
}

/** One of `values` (case-insensitive); the message names the value and what is allowed. */
export const choice =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): T => {
    const s = nonEmpty(v).trim().toLowerCase();
    const hit = values.find((x) => x.toLowerCase() === s);
    if (hit === undefined) throw problem('bad-choice', `must be one of ${values.join(', ')}; got ${shown(v)}`);
    return hit;
  };

/** "1024x768" (also "1024×768", "1024*768") → [1024, 768], read by the one size reader (text/size.ts). */
export function parseSize(v: unknown, maxSide: number): [number, number] {
  const s = nonEmpty(v);
  const size = readSize(s);
  if (!size) throw problem('bad-size', `must look like 1024x1024 (width x height), got ${shown(s)}`);
  const [w, h] = size;
  if (w <= 0 || h <= 0) throw problem('bad-size', `must have both sides above 0, got ${shown(s)}`);
  if (w > maxSide || h > maxSide)
    throw problem('bad-size', `has a side above the supported maximum ${maxSide}, got ${shown(s)}`);
  return [w, h];
}

/** True when a word is a size ("1024x1024"), for parsers of free text such as `gpus --for`. */
export const isSize = (word: string) => readSize(word) !== null;

const DURATION_UNITS: Record<string, number> = {
  m: 1 / 60,
  min: 1 / 60,
  mins: 1 / 60,
  minute: 1 / 60,
  minutes: 1 / 60,
  h: 1,
  hr: 1,
  hrs: 1,
  hour: 1,
  hours: 1,
  d: 24,
  day: 24,
  days: 24,
  w: 168,
  week: 168,
  weeks: 168,
};

/** Ten years: longer is a typo. */
const MAX_HOURS = 24 * 366 * 10;

/** "8h", "90m", "1h30m", "2d", or a number of hours → hours. */
export function duration(v: unknown): number {
  const raw = typeof v === 'number' ? String(v) : nonEmpty(v);
  const s = raw.trim().toLowerCase();
  let total = 0;
  if (/^\d+(\.\d+)?$/.test(s)) total = Number(s);
  else {
    const re = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
    let m: RegExpExecArray | null;
    let seen = 0;
    while ((m = re.exec(s))) {
      const unit = DURATION_UNITS[m[2]!];
      if (unit === undefined) break;
      total += Number(m[1]) * unit;
      seen = re.lastIndex;
    }
    if (seen !== s.length || seen === 0)
      throw problem('bad-duration', `must look like 8h, 90m, 1h30m or 2d, got ${shown(raw)}`);
  }
  if (!(total > 0) || total > MAX_HOURS)
    throw problem('bad-duration', `must be between a minute and ten years, got ${shown(raw)}`);
  return total;
}

/** Two fields that cannot both be given. */
export function contradiction(a: string, b: string, advice: string | readonly MessagePart[]): Problem {
  return new Problem(
    'contradictory',
    [...said`${ref(a)} and ${ref(b)} contradict each other: `, ...(typeof advice === 'string' ? [advice] : advice)],
    true,
  );
}
