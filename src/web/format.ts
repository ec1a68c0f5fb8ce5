/** How the dashboard writes numbers: the CLI's own formatters (src/text/units.ts), so both read alike. */

export { gb, pct, rate, seconds, usd } from '../text/units.ts';

/**
 * Colours by tier (1 verification … 4 mass production), also used in the legend text. Dark enough
 * that the badge's white text keeps WCAG AA (≥ 4.5:1): 6.1, 5.1, 5.4 and 5.3:1.
 */
export const TIER_COLORS: Record<number, string> = { 1: '#5f6368', 2: '#9a6200', 3: '#2a6db0', 4: '#1d7a45' };
