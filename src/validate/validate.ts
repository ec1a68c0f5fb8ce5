/**
 * Predicted vs measured for every published row, and the error statistics the README reports
 * ("how accurate is genready"): median and p90 absolute % error for speed and memory, overall, by
 * model and by vendor, on the training and held-out splits; plus the out-of-memory check.
 */
import { resolveDevice } from '../catalog/devices.ts';
import { MODEL_CONSTANTS, type ModelConstants } from '../cost/constants.ts';
import { estimate } from '../cost/estimate.ts';
import { type EstimateJson, estimateJson } from '../cost/report.ts';
import { makeWorkload } from '../cost/workload.ts';
import {
  type CompareField,
  isHoldout,
  isMemoryField,
  loadMeasuredRows,
  loadOomRows,
  type MeasuredRow,
  type OomRow,
} from './rows.ts';

export interface RowResult {
  row: MeasuredRow;
  predicted: number | null;
  /** |predicted − measured| / measured; 1 when the estimate failed. */
  error: number;
  split: 'train' | 'holdout';
  vendor: string;
  failure?: string;
}

export interface Stats {
  n: number;
  median: number;
  p90: number;
}

export interface ValidationReport {
  rows: RowResult[];
  oom: { row: OomRow; predictedFits: boolean; peakDeviceBytes: number; usableBytes: number }[];
  summary: {
    speed: Record<'all' | 'train' | 'holdout', Stats>;
    memory: Record<'all' | 'train' | 'holdout', Stats>;
    byModel: Record<string, { speed: Stats; memory: Stats }>;
    byVendor: Record<string, { speed: Stats; memory: Stats }>;
    oomViolations: number;
  };
}

const pick: Record<CompareField, (j: EstimateJson) => number> = {
  stepsPerSecond: (j) => j.time.stepsPerSecond,
  secondsPerImage: (j) => j.time.secondsPerImage,
  peakAllocatedBytes: (j) => j.memory.peakAllocatedBytes,
  peakReservedBytes: (j) => j.memory.peakReservedBytes,
  peakDeviceBytes: (j) => j.memory.peakDeviceBytes,
};

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export const stats = (xs: readonly number[]): Stats => ({
  n: xs.length,
  median: quantile(xs, 0.5),
  p90: quantile(xs, 0.9),
});

function estimateRow(r: MeasuredRow | OomRow, constants: ModelConstants = MODEL_CONSTANTS) {
  const w = makeWorkload({
    model: r.model,
    width: r.width,
    height: r.height,
    batch: r.batch,
    steps: r.steps,
    precision: r.precision,
    cfg: r.cfg,
    attention: r.attention,
    vaeTiling: r.vaeTiling,
    ...(r.quantBackend ? { quantBackend: r.quantBackend } : {}),
    ...(r.stack ? { software: r.stack } : {}),
  });
  const device = resolveDevice(r.device);
  return { e: estimate(w, device, { strategy: r.strategy, constants }), device };
}

export function predictRow(r: MeasuredRow, constants: ModelConstants = MODEL_CONSTANTS): RowResult {
  const split = isHoldout(r.id) ? 'holdout' : 'train';
  try {
    const { e, device } = estimateRow(r, constants);
    const predicted = pick[r.compare](estimateJson(e));
    return { row: r, predicted, error: Math.abs(predicted - r.value) / r.value, split, vendor: device.vendor };
  } catch (err) {
    return {
      row: r,
      predicted: null,
      error: 1,
      split,
      vendor: 'unknown',
      failure: err instanceof Error ? err.message : String(err),
    };
  }
}

function group(results: RowResult[], key: (r: RowResult) => string) {
  const out: Record<string, { speed: Stats; memory: Stats }> = {};
  const keys = [...new Set(results.map(key))].sort();
  for (const k of keys) {
    const rs = results.filter((r) => key(r) === k);
    out[k] = {
      speed: stats(rs.filter((r) => !isMemoryField(r.row.compare)).map((r) => r.error)),
      memory: stats(rs.filter((r) => isMemoryField(r.row.compare)).map((r) => r.error)),
    };
  }
  return out;
}

export function validate(
  rows: MeasuredRow[] = loadMeasuredRows(),
  oomRows: OomRow[] = loadOomRows(),
): ValidationReport {
  const results = rows.map((r) => predictRow(r));
  const errs = (mem: boolean, split?: 'train' | 'holdout') =>
    results.filter((r) => isMemoryField(r.row.compare) === mem && (!split || r.split === split)).map((r) => r.error);
  const oom = oomRows.map((row) => {
    const { e } = estimateRow(row);
    return {
      row,
      predictedFits: e.chosen.fits,
      peakDeviceBytes: e.chosen.memory.peakDeviceBytes,
      usableBytes: e.usable.bytes,
    };
  });
  return {
    rows: results,
    oom,
    summary: {
      speed: { all: stats(errs(false)), train: stats(errs(false, 'train')), holdout: stats(errs(false, 'holdout')) },
      memory: { all: stats(errs(true)), train: stats(errs(true, 'train')), holdout: stats(errs(true, 'holdout')) },
      byModel: group(results, (r) => r.row.model),
      byVendor: group(results, (r) => r.vendor),
      oomViolations: oom.filter((o) => o.predictedFits).length,
    },
  };
}

let byVendor: ValidationReport['summary']['byVendor'] | undefined;

/**
 * Published error per vendor, for recommendations to carry their uncertainty. The shipped rows and
 * constants do not change while a process runs, so this is computed once (about 0.5 s).
 */
export function accuracyByVendor(): ValidationReport['summary']['byVendor'] {
  return (byVendor ??= validate().summary.byVendor);
}
