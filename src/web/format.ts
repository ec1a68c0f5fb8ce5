/** How the dashboard writes numbers: the CLI's own formatters (src/text/units.ts), so both read alike. */

export { gb, pct, rate, seconds, usd } from '../text/units.ts';

/** Colours by tier (1 verification … 4 mass production), also used in the legend text. */
export const TIER_COLORS: Record<number, string> = { 1: '#9aa0a6', 2: '#e8a33d', 3: '#3b82c4', 4: '#2e9d5b' };
