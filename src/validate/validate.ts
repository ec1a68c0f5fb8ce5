/**
 * Predicted vs measured for every published row, and the error statistics the README reports
 * ("how accurate is genready"): median and p90 absolute % error for speed and memory, overall, by
 * model and by vendor, on the training and held-out splits; plus the out-of-memory check.
 */
import { resolveDevice } from '../catalog/devices.ts';
import { MODEL_CONSTANTS, type ModelConstants } from '../cost/constants.ts';
import { type Estimate, estimate } from '../cost/estimate.ts';
import { isQuantized } from '../cost/precision.ts';
import { type EstimateJson, estimateJson } from '../cost/report.ts';
import { makeWorkload } from '../cost/workload.ts';
import { type Replication, replication } from './replication.ts';
import {
  type CompareField,
  isHoldout,
  isMemoryField,
  loadMeasuredRows,
  loadOomRows,
  type MeasuredRow,
  type OomRow,
} from './rows.ts';
import { type Stats, stats } from './stats.ts';

/** The families the issue tracker asks about, so users see where to trust the numbers. */
export const FAMILIES = ['quantized', 'fp32', 'DiT', 'Apple', 'AMD', 'other'] as const;
export type Family = (typeof FAMILIES)[number];

export interface RowResult {
  row: MeasuredRow;
  /** Every family the row belongs to (`other`: 16-bit UNets on NVIDIA, Intel and CPUs). */
  families: Family[];
  predicted: number | null;
  /** |predicted − measured| / measured; 1 when the estimate failed. */
  error: number;
  split: 'train' | 'holdout';
  vendor: string;
  failure?: string;
}

export interface ValidationReport {
  rows: RowResult[];
  oom: { row: OomRow; predictedFits: boolean; peakDeviceBytes: number; usableBytes: number }[];
  summary: {
    speed: Record<'all' | 'train' | 'holdout', Stats>;
    memory: Record<'all' | 'train' | 'holdout', Stats>;
    byModel: Record<string, { speed: Stats; memory: Stats }>;
    byVendor: Record<string, { speed: Stats; memory: Stats }>;
    /** Per family, training and held-out split apart. */
    byFamily: Record<Family, Record<'train' | 'holdout', { speed: Stats; memory: Stats }>>;
    oomViolations: number;
    /** Speed rows' disagreement between independent sources of one setup: the floor under the error. */
    replication: Replication;
  };
}

const pick: Record<CompareField, (j: EstimateJson) => number> = {
  stepsPerSecond: (j) => j.time.stepsPerSecond,
  secondsPerImage: (j) => j.time.secondsPerImage,
  peakAllocatedBytes: (j) => j.memory.peakAllocatedBytes,
  peakReservedBytes: (j) => j.memory.peakReservedBytes,
  peakDeviceBytes: (j) => j.memory.peakDeviceBytes,
};

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
    ...(r.textEncoderPrecision ? { componentPrecision: { 'text-encoder': r.textEncoderPrecision } } : {}),
  });
  const device = resolveDevice(r.device);
  return { e: estimate(w, device, { strategy: r.strategy, constants }), device };
}

function familiesOf(e: Estimate): Family[] {
  const f: Family[] = [];
  if (isQuantized(e.workload.precision.denoiser)) f.push('quantized');
  if (e.workload.precision.denoiser === 'fp32') f.push('fp32');
  if (e.workload.model.denoiser.arch.kind !== 'unet') f.push('DiT');
  if (e.device.vendor === 'Apple') f.push('Apple');
  if (e.device.vendor === 'AMD') f.push('AMD');
  return f.length ? f : ['other'];
}

export function predictRow(r: MeasuredRow, constants: ModelConstants = MODEL_CONSTANTS): RowResult {
  const split = isHoldout(r.id) ? 'holdout' : 'train';
  try {
    const { e, device } = estimateRow(r, constants);
    const predicted = pick[r.compare](estimateJson(e));
    return {
      row: r,
      families: familiesOf(e),
      predicted,
      error: Math.abs(predicted - r.value) / r.value,
      split,
      vendor: device.vendor,
    };
  } catch (err) {
    return {
      row: r,
      families: ['other'],
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
      byFamily: Object.fromEntries(
        FAMILIES.map((f) => {
          const rs = results.filter((r) => r.families.includes(f));
          const part = (split: 'train' | 'holdout') => {
            const x = rs.filter((r) => r.split === split);
            return {
              speed: stats(x.filter((r) => !isMemoryField(r.row.compare)).map((r) => r.error)),
              memory: stats(x.filter((r) => isMemoryField(r.row.compare)).map((r) => r.error)),
            };
          };
          return [f, { train: part('train'), holdout: part('holdout') }];
        }),
      ) as ValidationReport['summary']['byFamily'],
      oomViolations: oom.filter((o) => o.predictedFits).length,
      replication: replication(results),
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
