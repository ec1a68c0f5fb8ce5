/**
 * Numbers as people read them — bytes, durations, rates, money — shared by the CLI and the dashboard
 * (which bundles this file), so both write the same figure the same way. Pure, no dependencies.
 */

export function gb(bytes: number): string {
  const g = bytes / 1e9;
  return g >= 100 ? `${g.toFixed(0)} GB` : g >= 10 ? `${g.toFixed(1)} GB` : `${g.toFixed(2)} GB`;
}

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export function params(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return `${(n / 1e3).toFixed(1)} k`;
}

export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 120) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function tflops(flops: number): string {
  return flops >= 1e12 ? `${(flops / 1e12).toFixed(2)} TFLOP` : `${(flops / 1e9).toFixed(1)} GFLOP`;
}

export function rate(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** US dollars: whole dollars with separators from $100, cents below; unknown is a dash. */
export function usd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x >= 100 ? `$${Math.round(x).toLocaleString('en-US')}` : `$${x.toFixed(2)}`;
}

/** Hours as the largest sensible unit: minutes under an hour, days from two days. */
export function hours(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 48 ? `${(x / 24).toFixed(1)} d` : x >= 1 ? `${x.toFixed(1)} h` : `${Math.round(x * 60)} min`;
}

/** A fraction as a percentage with one decimal (0.177 → "17.7 %"). */
export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');
