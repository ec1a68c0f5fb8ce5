/**
 * Human formatting for the terminal: colour only on a terminal, tables that fit its width.
 *
 * Width: the terminal's columns on a TTY, `$COLUMNS` when set, else 80 (a pipe, a file, a CI log);
 * `--wide` (a global flag, read by main.ts) lifts the limit. Colour: on a terminal only, never in a
 * pipe (NO_COLOR turns it off, FORCE_COLOR on), so a redirected answer carries no escape codes.
 */
import pc from 'picocolors';

export { gb, gib, hours, params, pct, rate, seconds, tflops, usd } from '../text/units.ts';

function colorEnabled(env = process.env, stream: { isTTY?: boolean } = process.stdout): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export const color = pc.createColors(colorEnabled());

let wide = false;
/** `--wide`: tables take the width they need (for a wide terminal or a file read in an editor). */
export function setWide(v: boolean): void {
  wide = v;
}

/** Columns a table may use. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (wide) return Number.POSITIVE_INFINITY;
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : 80;
}

/** Width as a terminal shows it: escape codes take no room. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleWidth = (s: string): number => [...s.replace(ANSI, '')].length;

const padEnd = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - visibleWidth(s)));
const padStart = (s: string, n: number) => ' '.repeat(Math.max(0, n - visibleWidth(s))) + s;

/**
 * Break `text` into lines of at most `width` at spaces only: a word (a URL, a path) is never cut;
 * a word longer than the width gets a line of its own.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      if (line === '') line = word;
      else if (visibleWidth(line) + 1 + visibleWidth(word) <= width) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** A column: its heading, alignment, and what happens to it when the table is too wide. */
export interface Column {
  head: string;
  align?: 'left' | 'right';
  /**
   * A secondary column leaves the table when the width is under `WIDE_TABLE` or the table does not
   * fit: 'stack' moves it to an indented line under its row, 'drop' leaves it out (say where the
   * full data is, e.g. --json or --wide).
   */
  secondary?: 'stack' | 'drop';
}

/** Below this many columns secondary columns are stacked or dropped even if the table would fit. */
export const WIDE_TABLE = 100;
const GAP = 2;

export interface TextTable {
  push(...rows: string[][]): void;
  toString(): string;
}

/**
 * A table without borders or row separators: a heading, a rule, one line per row. It fits
 * `outputWidth()`: secondary columns stack or drop first, then the widest cells wrap at spaces, and
 * if the words alone do not fit, each row becomes a block of "heading: value" lines.
 */
export function table(head: readonly (string | Column)[], width: number = outputWidth()): TextTable {
  const cols: Column[] = head.map((h) => (typeof h === 'string' ? { head: h } : h));
  const rows: string[][] = [];
  return {
    push: (...r) => void rows.push(...r),
    toString: () => renderTable(cols, rows, width),
  };
}

function renderTable(cols: Column[], rows: string[][], width: number): string {
  const natural = (i: number) => Math.max(visibleWidth(cols[i]!.head), ...rows.map((r) => visibleWidth(r[i] ?? '')));
  const totalOf = (idx: number[], w: (i: number) => number) =>
    idx.reduce((s, i) => s + w(i), 0) + GAP * (idx.length - 1);
  const all = cols.map((_, i) => i);
  let shown = all;
  if (width < WIDE_TABLE || totalOf(all, natural) > width) shown = all.filter((i) => !cols[i]!.secondary);
  const stacked = all.filter((i) => !shown.includes(i) && cols[i]!.secondary === 'stack');

  // Widths: natural, then shrink the widest column towards its longest word until the line fits.
  const longestWord = (i: number) =>
    Math.max(
      ...[cols[i]!.head, ...rows.map((r) => r[i] ?? '')].flatMap((c) => c.split(/\s+/)).map((w) => visibleWidth(w)),
    );
  const widths = new Map(shown.map((i) => [i, natural(i)]));
  const w = (i: number) => widths.get(i)!;
  const last = shown.at(-1)!;
  const before = shown.slice(0, -1);
  // A long word in the last column (a URL) may run past the edge whole, once the rest fits.
  const lastMayOverflow = () =>
    w(last) <= longestWord(last) && before.length > 0 && totalOf(before, w) + GAP + 20 <= width;
  while (totalOf(shown, w) > width && !lastMayOverflow()) {
    const shrinkable = shown.filter((i) => w(i) > longestWord(i));
    if (shrinkable.length === 0) return renderBlocks(cols, rows, width);
    const widest = shrinkable.reduce((a, b) => (w(b) > w(a) ? b : a));
    widths.set(widest, Math.max(longestWord(widest), w(widest) - (totalOf(shown, w) - width)));
  }

  const line = (cells: string[][]): string[] => {
    const height = Math.max(...cells.map((c) => c.length));
    return Array.from({ length: height }, (_, k) =>
      shown
        .map((i, j) => {
          const c = cells[j]![k] ?? '';
          return cols[i]!.align === 'right' ? padStart(c, w(i)) : padEnd(c, w(i));
        })
        .join(' '.repeat(GAP))
        .trimEnd(),
    );
  };
  const out = [
    ...line(shown.map((i) => wrapWords(cols[i]!.head, w(i)).map((l) => color.bold(l)))),
    shown
      .map((i) => '─'.repeat(i === last ? Math.max(1, Math.min(w(i), width - totalOf(before, w) - GAP)) : w(i)))
      .join(' '.repeat(GAP)),
  ];
  for (const r of rows) {
    out.push(...line(shown.map((i) => wrapWords(r[i] ?? '', w(i)))));
    const extra = stacked.filter((i) => (r[i] ?? '') !== '').map((i) => `${cols[i]!.head}: ${r[i]}`);
    if (extra.length)
      out.push(...wrapWords(extra.join(' · '), Math.max(20, width - 4)).map((l) => color.dim(`    ${l}`)));
  }
  return out.join('\n');
}

/**
 * Too narrow for columns at all: under the first heading, each row becomes a block, its first cell
 * as the title line and the others as indented "heading  value" lines; blocks are apart by a blank line.
 */
function renderBlocks(cols: Column[], rows: string[][], width: number): string {
  const label = Math.max(...cols.slice(1).map((c) => visibleWidth(c.head)));
  const title = cols[0]!.head;
  const blocks = rows
    .map((r) =>
      [
        ...wrapWords(r[0] ?? '', width),
        ...cols.slice(1).flatMap((c, k) => {
          const [first = '', ...more] = wrapWords(r[k + 1] ?? '', Math.max(10, width - label - 4));
          return [`  ${padEnd(c.head, label)}  ${first}`.trimEnd(), ...more.map((l) => `${' '.repeat(label + 4)}${l}`)];
        }),
      ].join('\n'),
    )
    .join('\n\n');
  return title ? `${color.bold(title)}\n${'─'.repeat(Math.min(width, visibleWidth(title)))}\n${blocks}` : blocks;
}
