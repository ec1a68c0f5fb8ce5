/**
 * genready's own CPU measurements (data/eval/own-cpu.jsonl): SD 1.5's (and SD 2.1's and SDXL's) phases timed
 * with onnxruntime on the machines the CPU constants were measured on, by `genready bench --quick`
 * and `bench/cpu-sd15.ts`. Each row names the CPU as the probe saw it (cores, the clock it read, vector
 * units) and how it was timed, so the cost model predicts it from those features alone, as it does
 * for a user's machine. Reported apart from the published rows; the rows marked `fitted` set the
 * constant they name, the others were never fitted.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cpuDevice, onThreads } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import { CatalogError, GenreadyError } from '../catalog/errors.ts';
import { phaseSeconds } from '../cost/phase-seconds.ts';
import { PHASES } from '../cost/types.ts';
import { type Stats, stats } from './stats.ts';

export const OWN_CPU_FILE = new URL('../../data/eval/own-cpu.jsonl', import.meta.url).pathname;

const rowSchema = z
  .object({
    id: z.string().regex(/^C\d{4}$/),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}Z)?$/),
    cpu: z
      .object({
        model: z.string().min(1),
        cores: z.number().int().positive(),
        clockGHz: z.number().positive(),
        simd: z
          .object({ avx2: z.boolean(), avx512: z.boolean(), amx: z.boolean(), neon: z.boolean() })
          .partial()
          .strict(),
        memoryBandwidthGBs: z.number().positive().optional(),
      })
      .strict(),
    /** Intra-op threads the run used (fewer than the cores on a busy machine). */
    threads: z.number().int().positive(),
    /** Wall seconds on `threads`, or CPU seconds of one thread (`--cpu-time`, against one core). */
    timing: z.enum(['wall', 'cpu-time']),
    model: z.string().min(1),
    phase: z.enum(PHASES),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Fastest of the run's iterations: per encoding of both prompts, per step with CFG, per decode. */
    seconds: z.number().positive(),
    command: z.string().min(1),
    /** The constant this row set, if it was fitted on. */
    fitted: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();

export type OwnCpuRow = z.infer<typeof rowSchema>;

export interface OwnCpuComparison {
  row: OwnCpuRow;
  device: Device;
  predicted: number;
  /** predicted / measured. */
  ratio: number;
}

export interface OwnCpuReport {
  rows: OwnCpuComparison[];
  /** Absolute error of the rows never fitted on, and of the fitted ones. */
  checked: Stats;
  fitted: Stats;
  /** The constants the fitted rows set (`cpu.avx2`). */
  fittedConstants: string[];
}

/** Rows of the JSONL file, each checked; a bad line is an error naming its line. */
export function parseOwnCpu(text: string, file = OWN_CPU_FILE): OwnCpuRow[] {
  const rows: OwnCpuRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new CatalogError('invalid-own-cpu', `${file}:${i + 1}: not JSON`);
    }
    const r = rowSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new CatalogError('invalid-own-cpu', `${file}:${i + 1}: ${issue.path.join('.') || 'row'}: ${issue.message}`);
    }
    if (r.data.threads > r.data.cpu.cores)
      throw new CatalogError(
        'invalid-own-cpu',
        `${file}:${i + 1}: threads: ${r.data.threads} on ${r.data.cpu.cores} cores`,
      );
    rows.push(r.data);
  });
  return rows;
}

/**
 * The device a row ran on, as the probe builds it: its cores, clock and vector units; a run on
 * fewer threads than cores, or timed in CPU seconds of one thread, counts the cores it computed on.
 */
export function rowDevice(r: OwnCpuRow): Device {
  const d = cpuDevice({ ...r.cpu });
  return onThreads(d, r.timing === 'cpu-time' ? 1 : r.threads, r.cpu.cores);
}

export function compareOwnCpu(rows: readonly OwnCpuRow[]): OwnCpuReport {
  const compared = rows.map((row): OwnCpuComparison => {
    const device = rowDevice(row);
    let predicted: number;
    try {
      predicted = phaseSeconds(
        {
          model: row.model,
          phase: row.phase,
          width: row.width,
          height: row.height,
          batch: 1,
          precision: 'fp32',
          strategy: 'cpu',
        },
        device,
      );
    } catch (e) {
      // An unknown model or a size the model cannot take: the row is at fault, so say which.
      if (e instanceof GenreadyError)
        throw new CatalogError('invalid-own-cpu', `${row.id}: ${e.message}`, { cause: e });
      throw e;
    }
    return { row, device, predicted, ratio: predicted / row.seconds };
  });
  const err = (cs: OwnCpuComparison[]) => stats(cs.map((c) => Math.abs(c.ratio - 1)));
  return {
    rows: compared,
    checked: err(compared.filter((c) => !c.row.fitted)),
    fitted: err(compared.filter((c) => c.row.fitted)),
    fittedConstants: [...new Set(rows.flatMap((r) => (r.fitted ? [r.fitted] : [])))],
  };
}

/** The kept rows compared with the current model; none when the file is absent. */
export function ownCpuReport(file = OWN_CPU_FILE): OwnCpuReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return compareOwnCpu([]);
  }
  return compareOwnCpu(parseOwnCpu(text, file));
}

/** The comparison as JSON: where the rows are, the two error figures, and each row's ratio. */
export function ownCpuJson(r: OwnCpuReport) {
  return {
    file: 'data/eval/own-cpu.jsonl',
    checked: r.checked,
    fitted: r.fitted,
    rows: r.rows.map((c) => ({
      id: c.row.id,
      cpu: c.row.cpu.model,
      clockGHz: c.row.cpu.clockGHz,
      threads: c.row.threads,
      timing: c.row.timing,
      model: c.row.model,
      phase: c.row.phase,
      width: c.row.width,
      height: c.row.height,
      measuredSeconds: c.row.seconds,
      predictedSeconds: c.predicted,
      ...(c.row.fitted ? { fitted: c.row.fitted } : {}),
    })),
  };
}

/** One line per row, for `--verbose` and docs/accuracy.md: the conditions the prediction was made from. */
export const ownCpuLabel = (c: OwnCpuComparison) =>
  `${c.row.id} ${c.row.cpu.model} at ${c.row.cpu.clockGHz} GHz, ${c.row.threads} of ${c.row.cpu.cores} cores${c.row.timing === 'cpu-time' ? ' (CPU time)' : ''}: ${c.row.model} ${c.row.phase} ${c.row.width}×${c.row.height}`;
