/** Median and p90 of absolute errors: the two figures every accuracy table reports. */

export interface Stats {
  n: number;
  median: number;
  p90: number;
}

/** The q-quantile as the element at floor(q·n) of the sorted values (no interpolation); NaN when empty. */
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
