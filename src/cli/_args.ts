/**
 * Argument helpers shared by the commands: flags → an answers request, request errors in flag
 * words (`--max-price`), unknown flags with a did-you-mean, stray positionals refused.
 */
import type { ArgsDef } from 'citty';
import { didYouMean } from '../answers/_suggest.ts';
import { RequestError } from '../answers/errors.ts';
import { count, number, Problem, parseSize } from '../answers/fields.ts';
import { fieldError } from '../answers/request.ts';
import { GenreadyError } from '../catalog/errors.ts';
import { MAX_SIDE } from '../cost/workload.ts';

export class UsageError extends GenreadyError {}

/** How the command line writes a request field: `maxPrice` → `--max-price`. */
export const flagName = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A request error reworded for the command line (field names as flags); anything else unchanged. */
export function inFlagWords(err: unknown): unknown {
  return err instanceof RequestError ? new UsageError(err.code, err.render(flagName), { cause: err }) : err;
}

/** Run an answer, turning request errors into flag words. */
export async function cliAnswer<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw inFlagWords(err);
  }
}

/**
 * The request fields among citty's parsed flags: the defined flags that were given (camelCase
 * names; citty also keeps the kebab-case spelling), without the presentation-only ones.
 */
export function requestOf(
  args: Record<string, unknown>,
  defs: ArgsDef,
  presentation: readonly string[] = ['json'],
): Record<string, unknown> {
  const req: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(defs)) {
    if (presentation.includes(name) || d.type === 'positional') continue;
    const v = args[name];
    // A boolean flag with a default is "given" only when it differs from the default.
    if (v === undefined || (d.type === 'boolean' && 'default' in d && v === d.default)) continue;
    req[name] = v;
  }
  return req;
}

/** A number flag of the commands outside answers/ (run, bench, serve): absent → undefined; empty → error. */
export function num(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return cliValue(name, () => number({ min: -Infinity, max: Infinity })(v));
}

function cliValue<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw err instanceof Problem ? inFlagWords(fieldError(name, err)) : err;
  }
}

/** A whole number above 0 up to `max` (for the commands outside answers/). */
export function positiveInt(name: string, v: unknown, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  return cliValue(name, () => count(max)(v));
}

/** "1024x768" → [1024, 768], through the one size parser (answers/fields.ts). */
export function size(v: string, name = 'size'): [number, number] {
  return cliValue(name, () => parseSize(v, MAX_SIDE));
}

/**
 * Reject flags the command does not define (citty lets them pass silently), naming the flag meant
 * when it is a typo (`--devcie` → `--device`), and positionals the command does not take (`--within
 * 8 hours`: "hours" is stray).
 */
export function rejectUnknownFlags(raw: readonly string[], defs: ArgsDef): void {
  const known = new Set<string>(['help', 'h']);
  const takesValue = new Set<string>();
  let positionals = 0;
  for (const [name, d] of Object.entries(defs)) {
    if (d.type === 'positional') {
      positionals++;
      continue;
    }
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const names = [name, kebab, ...['alias' in d && d.alias ? d.alias : []].flat()];
    for (const n of names) {
      known.add(n);
      if (d.type !== 'boolean') takesValue.add(n);
    }
    if (d.type === 'boolean') known.add(`no-${name}`).add(`no-${kebab}`);
  }
  const flags = [...known].filter((k) => k.length > 1 && k !== 'help');
  const stray: { word: string; hint?: string }[] = [];
  /** The flag whose value the previous word was, for the hint "quote a value with spaces". */
  let valueFor: { flag: string; at: number } | null = null;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    if (r === '--') {
      stray.push(...raw.slice(i + 1).map((word) => ({ word })));
      break;
    }
    if (!r.startsWith('-') || /^-\d/.test(r)) {
      const hint =
        valueFor && valueFor.at === i - 1
          ? `; to give a value with spaces, quote it: ${valueFor.flag} "${raw[i - 1]} ${r}"`
          : undefined;
      stray.push({ word: r, ...(hint ? { hint } : {}) });
      continue;
    }
    const [flag, inline] = r.replace(/^--?/, '').split(/=(.*)/s) as [string, string | undefined];
    if (!known.has(flag)) {
      const guess = didYouMean(flag, flags);
      throw new UsageError(
        'unknown-flag',
        `unknown option "${r.slice(0, 60)}"${guess ? `; did you mean --${guess}?` : '; see --help'}`,
      );
    }
    // The next word is this flag's value (citty reads it so, even when it starts with a dash).
    if (takesValue.has(flag) && inline === undefined && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      if (!next.startsWith('-') || /^-\d/.test(next) || next === '') {
        i++;
        valueFor = { flag: r, at: i };
      }
    }
  }
  if (stray.length > positionals) {
    const extra = stray[positionals]!;
    const why = extra.hint ?? (positionals ? '' : '; this command takes only --flags');
    throw new UsageError('stray-argument', `unexpected argument "${extra.word.slice(0, 60)}"${why.slice(0, 160)}`);
  }
}
