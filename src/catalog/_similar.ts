/** Edit distance (Levenshtein) for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The `n` candidates nearest to `query`, nearest first; a candidate containing the query ranks first. */
export function closest(query: string, candidates: readonly string[], n: number): string[] {
  const score = (c: string) => (c.includes(query) || query.includes(c) ? 0 : 1) * 1000 + editDistance(query, c);
  return [...candidates].sort((x, y) => score(x) - score(y)).slice(0, n);
}
