/** Human formatting of bytes, durations and rates; colour that respects NO_COLOR and pipes. */
import Table from 'cli-table3';
import pc from 'picocolors';

export const color = pc;

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
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** A table that draws plain borders when colour is off (NO_COLOR, pipes). */
export function table(head: string[]): Table.Table {
  return new Table({ head, style: pc.isColorSupported ? { head: ['cyan'] } : { head: [], border: [] } });
}
