/** One line saying how far speed estimates were from published measurements for the vendors shown. */
import type { ValidationReport } from '../validate/validate.ts';

export function accuracyLine(byVendor: ValidationReport['summary']['byVendor'], vendors: readonly string[]): string {
  const parts = [...new Set(vendors)].map((v) => {
    const a = byVendor[v]?.speed;
    return a && a.n > 0
      ? `${v} ${(a.median * 100).toFixed(0)} % median, ${(a.p90 * 100).toFixed(0)} % p90 (n=${a.n})`
      : `${v}: no published rows`;
  });
  return `Speed error against published measurements: ${parts.join('; ')}.`;
}
