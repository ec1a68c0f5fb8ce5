/** How the dashboard writes numbers: the same rules as the CLI (src/cli/format.ts), so both read alike. */

export function gb(bytes: number): string {
  const g = bytes / 1e9;
  return g >= 100 ? `${g.toFixed(0)} GB` : g >= 10 ? `${g.toFixed(1)} GB` : `${g.toFixed(2)} GB`;
}

export function rate(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 120) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function usd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x >= 100 ? `$${x.toFixed(0)}` : `$${x.toFixed(2)}`;
}

export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');

/** Colours by tier (1 verification … 4 mass production), also used in the legend text. */
export const TIER_COLORS: Record<number, string> = { 1: '#9aa0a6', 2: '#e8a33d', 3: '#3b82c4', 4: '#2e9d5b' };
