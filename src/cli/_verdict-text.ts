/**
 * The ladder's verdict in the terminal, the same way in check, gpus, plan and estimate: the rung
 * that establishes a workload, its fit grade (green comfortable, amber tight, red does not fit), the
 * reason for every "no" and "tight", and the flags of the tools people run.
 */
import type { FitGrade } from '../cost/memory.ts';
import type { EstablishmentJson, ToolFlags } from '../planner/ladder.ts';
import type { AssumedHost } from '../planner/ranking.ts';
import { color, gb, outputWidth, wrapWords } from './format.ts';

const GRADE_WORDS: Record<FitGrade, string> = {
  comfortable: 'comfortable',
  tight: 'tight',
  'does-not-fit': 'does not fit',
};

/** The grade in its colour: amber for tight. */
export function gradeText(g: FitGrade): string {
  const w = GRADE_WORDS[g];
  return g === 'comfortable' ? color.green(w) : g === 'tight' ? color.yellow(w) : color.red(w);
}

/** Colour a text by a grade. */
export function byGrade(g: FitGrade, text: string): string {
  return g === 'comfortable' ? color.green(text) : g === 'tight' ? color.yellow(text) : color.red(text);
}

/** "with VAE tiling · batch 4 · tight", or "does not run" in red. */
export function rungCell(
  v: Pick<EstablishmentJson, 'rungLabel' | 'batch' | 'fitGrade'>,
  opts: { batch?: boolean } = {},
) {
  if (v.rungLabel === null) return color.red('does not run');
  const batch = opts.batch && v.batch !== null ? ` · batch ${v.batch}` : '';
  return `${byGrade(v.fitGrade, v.rungLabel)}${batch}${v.fitGrade === 'tight' ? ` · ${gradeText('tight')}` : ''}`;
}

/** A figure, or a dash where nothing runs (no throughput for configurations that do not run). */
export function figure(x: number | null, f: (x: number) => string): string {
  return x === null || !Number.isFinite(x) || x === 0 ? '—' : f(x);
}

/** The flags that give a rung in A1111/Forge, ComfyUI and diffusers. */
export function flagsText(f: ToolFlags): string {
  return `A1111/Forge: ${f.a1111} · ComfyUI: ${f.comfyui} · diffusers: ${f.diffusers}`;
}

/** The verdict in one line, then (for tight or no) its reason and the flags, as lines. */
export function verdictLines(v: EstablishmentJson, opts: { flags?: boolean; title?: string } = {}): string[] {
  const lines: string[] = [];
  const head =
    v.rungLabel === null
      ? `${color.red('does not run')} — ${v.reason}`
      : `${gradeText(v.fitGrade)} ${v.rungLabel} — ${v.reason}`;
  lines.push(opts.title ? `${color.bold(opts.title)}: ${head}` : head);
  if (opts.flags !== false && v.flags) lines.push(color.dim(`  how: ${flagsText(v.flags)}`));
  return lines;
}

/** Reasons for the rows of a table that say "no" or "tight", one line each. */
export function reasonNotes(rows: readonly { name: string; verdict: EstablishmentJson }[]): string[] {
  // Each note is wrapped to the terminal (continuation lines indented), as the tables are.
  const width = outputWidth();
  return rows
    .filter((r) => r.verdict.fitGrade !== 'comfortable')
    .flatMap((r) => {
      const word = r.verdict.fitGrade === 'tight' ? 'tight' : 'no';
      const [first = '', ...rest] = wrapWords(`${word} ${r.name}: ${r.verdict.reason}`, width);
      const head = (r.verdict.fitGrade === 'tight' ? color.yellow : color.red)(word) + first.slice(word.length);
      return [head, ...wrapWords(rest.join(' '), width - 2).map((l) => `  ${l}`)].filter((l) => l.trim() !== '');
    });
}

/** "32 GiB RAM, 8-core CPU, ~530 W at the wall". */
export function hostText(h: AssumedHost): string {
  return `${h.ramGiB} GiB RAM${h.wallPowerW === null ? '' : `, ~${h.wallPowerW} W`}`;
}

/** check's "established" cell: where the model runs, on which rung, in the grade's colour. */
export function modelCell(v: { mode: string; verdict: EstablishmentJson }): string {
  if (v.mode === 'not-established') return color.red('no');
  const where = v.mode === 'cpu-only' ? 'on the CPU' : (v.verdict.rungLabel ?? '');
  return `${byGrade(v.verdict.fitGrade, where)}${v.verdict.fitGrade === 'tight' ? ` (${gradeText('tight')})` : ''}`;
}

/** Under plan's machine line: the rung it runs on, in the tools' flags, and what it gives up. */
export function planMachineLines(m: {
  rungLabel: string | null;
  fitGrade: string;
  verdict: EstablishmentJson;
  ladder: readonly { fits: boolean }[];
}): string[] {
  const out: string[] = [];
  const v = m.verdict;
  if (m.rungLabel && m.ladder[0] && !m.ladder[0].fits)
    out.push(color.dim(`  rung: ${m.rungLabel}${v.quality && v.rungLabel === m.rungLabel ? ` — ${v.quality}` : ''}`));
  if (v.flags && v.rungLabel === m.rungLabel) out.push(color.dim(`  how: ${flagsText(v.flags)}`));
  if (v.pinned.length) out.push(color.dim(`  kept to: ${v.pinned.join(', ')}`));
  return out;
}

/** The allocator cache, said apart from what the run needs (nothing when there is none). */
export function cacheNote(bytes: number): string {
  return bytes > 0 ? `; PyTorch's allocator may cache ${gb(bytes)} more, given back before an out-of-memory` : '';
}
