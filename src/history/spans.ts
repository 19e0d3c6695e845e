/** Half-open time spans [from, to) in epoch milliseconds, and the few set operations history needs. */
export interface Span {
  from: number;
  to: number;
}

export const DAY_MS = 86_400_000;

/** The UTC day (days since the epoch) that `at` falls in. */
export const utcDay = (at: number): number => Math.floor(at / DAY_MS);

/** Sorted, with overlapping and touching spans joined and empty ones dropped. */
export function union(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.to > s.from).sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}

/** The parts of `span` covered by `cover` (sorted and disjoint, as union() returns). */
export function intersect(span: Span, cover: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const c of cover) {
    if (c.to <= span.from) continue;
    if (c.from >= span.to) break;
    out.push({ from: Math.max(span.from, c.from), to: Math.min(span.to, c.to) });
  }
  return out;
}

/** The parts of `span` that no span of `cover` (sorted and disjoint) covers. */
export function subtract(span: Span, cover: readonly Span[]): Span[] {
  const out: Span[] = [];
  let at = span.from;
  for (const c of cover) {
    if (c.to <= at) continue;
    if (c.from >= span.to) break;
    if (c.from > at) out.push({ from: at, to: c.from });
    at = Math.max(at, c.to);
  }
  if (at < span.to) out.push({ from: at, to: span.to });
  return out;
}

export const length = (spans: readonly Span[]): number => spans.reduce((sum, s) => sum + (s.to - s.from), 0);
