/**
 * "did you mean `username`?" for a mistyped key: the allowed key nearest to what was written, by edit
 * distance (a swap of two neighbours counts as one edit, case is ignored), only when it is close
 * enough to be a typo: at most one edit per three characters, at least one.
 */
export function nearest(written: string, allowed: readonly string[]): string | undefined {
  const typed = written.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const key of allowed) {
    const distance = editDistance(typed, key.toLowerCase());
    if (!best || distance < best.distance) best = { key, distance };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.floor(Math.min(typed.length, best.key.length) / 3));
  return best.distance <= limit ? best.key : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
