/**
 * How far apart independent publications of one setup are: the floor under any model's error.
 *
 * Two speed rows replicate each other when they measure the same model on the same device with the
 * same weights, strategy, batch, image size and attention kernel, but come from different sources.
 * What still differs between them (the step count, the sampler's overhead) the estimate accounts for,
 * so the two rows' predicted/measured ratios would agree if the measurements did. They often do not:
 * the RTX 4090's SD 1.5 rate at 512² is published as 40.5 it/s (diffusers' docs) and as 24.9 it/s
 * (stable-fast's baseline) for the same settings. (Memory: no two sources publish one setup yet.)
 *
 * If every row's log error were independent and drawn from one symmetric (normal) law, the
 * difference of two rows' log errors would have √2 times its spread, quantile for quantile; so a pair
 * gap over √2 is a log error that even a perfect model would show on rows like these, as often too
 * slow as too fast. In validate's own measure, |predicted − measured| / measured, a log error L counts
 * e^L − 1 one way and 1 − e^−L the other: the "floor" this file reports beside the model's error is
 * the median and p90 over both.
 */

import { isMemoryField, type MeasuredRow } from './rows.ts';
import { quantile, type Stats } from './stats.ts';

/** A published row and what the estimate said for it (validate's RowResult fits). */
interface Predicted {
  row: MeasuredRow;
  predicted: number | null;
}

export interface Replication {
  /** Setups published by two or more sources. */
  setups: number;
  /** Pairs of rows from different sources within those setups. */
  pairs: number;
  /** The error a perfect model would show per row, from the pairs' disagreement (see above). */
  floor: Stats;
}

/** A source as a publication: the document, without the commit or date that locate it. */
export const publication = (source: string) => source.split(/ @| \(|;/)[0]!.trim();

const setupOf = (r: MeasuredRow) =>
  [
    r.model,
    r.device,
    r.precision,
    r.textEncoderPrecision ?? '',
    r.quantBackend ?? '',
    r.strategy,
    r.cfg,
    r.batch,
    `${r.width}x${r.height}`,
    r.attention,
    r.vaeTiling,
  ].join('|');

/** log(predicted time / measured time): positive where the estimate is slower; null for memory rows. */
function logError(x: Predicted): number | null {
  if (x.predicted === null || isMemoryField(x.row.compare)) return null;
  const l = Math.log(x.predicted / x.row.value);
  return x.row.compare === 'stepsPerSecond' ? -l : l;
}

export function replication(results: readonly Predicted[]): Replication {
  const setups = new Map<string, { source: string; log: number }[]>();
  for (const x of results) {
    const log = logError(x);
    if (log === null) continue;
    const key = setupOf(x.row);
    const list = setups.get(key) ?? [];
    list.push({ source: publication(x.row.source), log });
    setups.set(key, list);
  }
  const gaps: number[] = [];
  let replicated = 0;
  for (const rows of setups.values()) {
    const before = gaps.length;
    for (let i = 0; i < rows.length; i++)
      for (let j = i + 1; j < rows.length; j++)
        if (rows[i]!.source !== rows[j]!.source) gaps.push(Math.abs(rows[i]!.log - rows[j]!.log));
    if (gaps.length > before) replicated++;
  }
  const errors = gaps.flatMap((g) => [Math.expm1(g / Math.SQRT2), -Math.expm1(-g / Math.SQRT2)]);
  return {
    setups: replicated,
    pairs: gaps.length,
    floor: { n: gaps.length, median: quantile(errors, 0.5), p90: quantile(errors, 0.9) },
  };
}
