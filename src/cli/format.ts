/** Human formatting of bytes, durations and rates; colour that respects NO_COLOR and pipes. */
import Table from 'cli-table3';
import pc from 'picocolors';

export const color = pc;

export { gb, gib, hours, params, pct, rate, seconds, tflops, usd } from '../text/units.ts';

/** A table that draws plain borders when colour is off (NO_COLOR, pipes). */
export function table(head: string[]): Table.Table {
  return new Table({ head, style: pc.isColorSupported ? { head: ['cyan'] } : { head: [], border: [] } });
}
