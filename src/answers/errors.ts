/**
 * A request that cannot be answered as asked, named by its field. The message is built from parts
 * so that each interface names a field in its own words: `--max-price` on the command line,
 * `maxPrice` in an HTTP error. `message` is the API wording (field names as sent in JSON).
 */
import { GenreadyError } from '../catalog/errors.ts';

/** A reference to a request field inside a message. */
export interface FieldRef {
  field: string;
}

export type MessagePart = string | FieldRef;

/** How an interface writes a field name. */
export type FieldNamer = (field: string) => string;

export const apiName: FieldNamer = (f) => f;

export class RequestError extends GenreadyError {
  constructor(
    code: string,
    /** The field at fault (the first, when several are). */
    readonly field: string,
    readonly parts: readonly MessagePart[],
  ) {
    super(code, render(parts, apiName));
  }

  /** The message with field names written as an interface writes them. */
  render(name: FieldNamer): string {
    return render(this.parts, name);
  }
}

function render(parts: readonly MessagePart[], name: FieldNamer): string {
  return parts.map((p) => (typeof p === 'string' ? p : name(p.field))).join('');
}

/** `said\`${ref('size')} and ${ref('width')} contradict\`` → message parts; strings stay literal. */
export const ref = (field: string): FieldRef => ({ field });

export function said(strings: TemplateStringsArray, ...values: (string | number | FieldRef)[]): MessagePart[] {
  const parts: MessagePart[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) {
      const v = values[i]!;
      parts.push(typeof v === 'number' ? String(v) : v);
    }
  });
  return parts;
}

/** Longest excerpt of a value an error echoes back: a 120 KB input is not repeated in full. */
export const SHOWN_MAX = 60;

/** A value as an error quotes it: `"abc"`, cut to SHOWN_MAX characters. */
export function shown(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return `"${s.length > SHOWN_MAX ? `${s.slice(0, SHOWN_MAX)}…` : s}"`;
}
