/**
 * The schedule lag as any scraper reads it: `secretary_schedule_lag_seconds` from the service's
 * /metrics, per schedule ("sweep", or an own-interval check's id). Buckets are cumulative.
 */
export interface LagHistogram {
  count: number;
  /** [upper bound in seconds, sweeps that started at most that late], ascending; +Inf last. */
  buckets: Array<[number, number]>;
}

export async function scrapeScheduleLag(serviceUrl: string, schedule = "sweep"): Promise<LagHistogram> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const buckets: Array<[number, number]> = [];
  let count = 0;
  for (const line of text.split("\n")) {
    const m = /^secretary_schedule_lag_seconds_(bucket|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.schedule !== schedule) continue;
    if (m[1] === "count") count = Number(m[3]);
    else buckets.push([labels.le === "+Inf" ? Infinity : Number(labels.le), Number(m[3])]);
  }
  if (buckets.length === 0) throw new Error(`no secretary_schedule_lag_seconds series for schedule="${schedule}" in ${serviceUrl}/metrics`);
  return { count, buckets: buckets.sort((a, b) => a[0] - b[0]) };
}

/** What happened between two scrapes. */
export function lagBetween(before: LagHistogram, after: LagHistogram): LagHistogram {
  return { count: after.count - before.count, buckets: after.buckets.map(([le, n], i) => [le, n - (before.buckets[i]?.[1] ?? 0)]) };
}

/** Sweeps that started at most `seconds` late, as a share of all (1 when there were none). */
export function shareWithin(h: LagHistogram, seconds: number): number {
  const within = h.buckets.find(([le]) => le >= seconds);
  return h.count === 0 ? 1 : (within?.[1] ?? h.count) / h.count;
}

/** The q-quantile in ms, interpolated within its bucket as Prometheus' histogram_quantile does. */
export function lagQuantileMs(h: LagHistogram, q: number): number {
  if (h.count === 0) return 0;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const [le, n] of h.buckets) {
    if (n >= rank) {
      if (le === Infinity) return lower * 1000;
      return (lower + ((le - lower) * (rank - below)) / Math.max(1, n - below)) * 1000;
    }
    lower = le;
    below = n;
  }
  return lower * 1000;
}
