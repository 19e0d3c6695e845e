/**
 * What a soak's rows add up to (bench/soak-run.ts): least-squares slopes after the warm-up, the rows
 * outside faults, and the Markdown of bench/SOAK.md. The short form's test asserts on the same summary.
 */
import { lagQuantileMs, type LagHistogram } from "../test/support/schedule-lag.ts";
import type { SoakResult, SoakRow } from "./soak-run.ts";

/** Least-squares slope of y over x; NaN for fewer than two points. */
export function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxy / sxx;
}

export interface SoakSummary {
  /** MB per 10 minutes, least squares over the rows after the warm-up. */
  rssSlope: number;
  heapSlope: number;
  heapFloorSlope: number;
  /** Bytes per 10 minutes of the store (database + WAL, or pg_database_size). */
  storeSlope: number;
  rssMaxMb: number;
  rssAfterWarmUp: [number, number];
  eventLoopDelayP99MaxMs: number;
  /**
   * The schedule outside faults: over the rows after the start with no fault held in them (the schedule
   * must hold as soon as a fault ends, and the Telegram fault tests hold it even during one).
   */
  scheduleRows: number;
  scheduleSweepsShare: number;
  scheduleSweepsShareMin: number;
  /** p99 of those rows' sweeps together, and the worst row's p99. */
  scheduleLagP99Ms: number;
  scheduleLagP99MaxMs: number;
  /** The same after the warm-up, and how many of those rows had a p99 over 1 s. */
  warmLagP99Ms: number;
  warmRowsOver1s: [number, number];
  /** Rows with neither a fault nor its recovery: every bot's result at most this old. */
  settledRows: number;
  settledOldestResultMaxS: number;
  lagP99Ms: number;
  sweepsStarted: number;
  sweepsDue: number;
  monitorAlerts: { firing: number; resolved: number };
  fleetWideFaults: number;
}

/** Lag histograms of several windows as one (same buckets). */
function merged(hs: readonly LagHistogram[]): LagHistogram {
  if (hs.length === 0) return { count: 0, buckets: [] };
  return { count: hs.reduce((s, h) => s + h.count, 0), buckets: hs[0]!.buckets.map(([le], i) => [le, hs.reduce((s, h) => s + (h.buckets[i]?.[1] ?? 0), 0)]) };
}

export function summarize(r: SoakResult): SoakSummary {
  const warm = r.rows.filter((row) => row.at * 1000 >= r.options.warmUpMs);
  const per10Min = (pick: (row: SoakRow) => number) => slope(warm.filter((row) => Number.isFinite(pick(row))).map((row) => [row.at, pick(row)])) * 600;
  // The start's rows are not steady state either: a fresh start's first sweeps (spread over its first
  // 10 s or interval) fall off their slots, and the next interval still has the start's backlog.
  const o = r.options;
  const startMs = Math.max(10_000, o.intervalMs) + o.intervalMs + o.sampleMs;
  const scheduled = r.rows.filter((row) => row.held.length === 0 && row.at * 1000 > startMs);
  const warmScheduled = scheduled.filter((row) => row.at * 1000 >= o.warmUpMs);
  const settled = scheduled.filter((row) => row.faults.length === 0);
  const sum = (rows: SoakRow[], pick: (row: SoakRow) => number) => rows.reduce((s, row) => s + pick(row), 0);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
  return {
    rssSlope: per10Min((row) => row.rssMb),
    heapSlope: per10Min((row) => row.heapUsedMb),
    heapFloorSlope: per10Min((row) => row.heapFloorMb),
    storeSlope: per10Min((row) => row.storeBytes ?? NaN),
    rssMaxMb: max(r.rows.map((row) => row.rssMb)),
    rssAfterWarmUp: [warm[0]?.rssMb ?? NaN, warm.at(-1)?.rssMb ?? NaN],
    eventLoopDelayP99MaxMs: max(r.rows.map((row) => row.eventLoopDelayP99Ms)),
    scheduleRows: scheduled.length,
    scheduleSweepsShare: sum(scheduled, (row) => row.sweepsStarted) / sum(scheduled, (row) => row.sweepsDue),
    scheduleSweepsShareMin: scheduled.length ? Math.min(...scheduled.map((row) => row.sweepsStarted / row.sweepsDue)) : NaN,
    scheduleLagP99Ms: lagQuantileMs(merged(scheduled.map((row) => row.lag)), 0.99),
    scheduleLagP99MaxMs: max(scheduled.map((row) => row.lagP99Ms)),
    warmLagP99Ms: lagQuantileMs(merged(warmScheduled.map((row) => row.lag)), 0.99),
    warmRowsOver1s: [warmScheduled.filter((row) => row.lagP99Ms > 1000).length, warmScheduled.length],
    settledRows: settled.length,
    settledOldestResultMaxS: max(settled.map((row) => row.oldestResultSeconds)),
    lagP99Ms: r.lagP99Ms,
    sweepsStarted: r.rows.reduce((s, row) => s + row.sweepsStarted, 0),
    sweepsDue: r.rows.reduce((s, row) => s + row.sweepsDue, 0),
    monitorAlerts: { firing: r.notifications["monitor firing"] ?? 0, resolved: r.notifications["monitor resolved"] ?? 0 },
    fleetWideFaults: r.faults.filter((f) => f.fleetWide).length,
  };
}

const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–");
const clock = (seconds: number) => {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

/** The rows, every `every`-th (and every row with a fault), as a Markdown table. */
export function rowsTable(rows: readonly SoakRow[], every: number): string {
  const head = "| t | RSS MB | heap used (floor) MB | ELD p99 ms | lag p99 ms | sweeps / due | oldest result s | store MB | notifications | fault | load |";
  const rule = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|";
  const shown = rows.filter((row, i) => i % every === every - 1 || i === 0 || (row.faults.length > 0 && rows[i - 1]?.faults.join() !== row.faults.join()));
  const line = (r: SoakRow) =>
    `| ${clock(r.at)} | ${f(r.rssMb)} | ${f(r.heapUsedMb)} (${f(r.heapFloorMb)}) | ${f(r.eventLoopDelayP99Ms, 1)} | ${f(r.lagP99Ms)} | ${f(r.sweepsStarted)} / ${f(r.sweepsDue)} | ${f(r.oldestResultSeconds, 1)} | ${f((r.storeBytes ?? NaN) / 2 ** 20, 1)} | ${f(r.notifications)} | ${r.faults.join(", ")} | ${f(r.load, 1)} |`;
  return [head, rule, ...shown.map(line)].join("\n");
}

export function summaryTable(r: SoakResult, s: SoakSummary): string {
  const o = r.options;
  const rows: [string, string, string][] = [
    ["RSS slope after warm-up (least squares)", `${f(s.rssSlope, 2)} MB / 10 min (${f(s.rssAfterWarmUp[0])} → ${f(s.rssAfterWarmUp[1])} MB)`, "< 1 MB / 10 min"],
    ["heap used slope (as sampled) / heap floor slope (lowest reading of each window)", `${f(s.heapSlope, 2)} / ${f(s.heapFloorSlope, 2)} MB / 10 min`, "≈ 0"],
    ["RSS maximum (sampled)", `${f(s.rssMaxMb)} MB`, ""],
    ["store size growth after warm-up", `${f(s.storeSlope / 2 ** 20, 2)} MB / 10 min`, "≈ 0"],
    ["event-loop delay p99, worst window", `${f(s.eventLoopDelayP99MaxMs, 1)} ms`, ""],
    ["rows outside faults (after the start, no fault held) / settled (no recovery either)", `${s.scheduleRows} / ${s.settledRows} of ${r.rows.length}`, ""],
    ["schedule lag p99 outside faults: their sweeps together / worst row; the whole soak, start and faults too", `${f(s.scheduleLagP99Ms)} / ${f(s.scheduleLagP99MaxMs)} ms; ${f(s.lagP99Ms)} ms`, "< 1,000 ms"],
    ["schedule lag p99 outside faults after the warm-up: their sweeps together; rows with a p99 over 1 s", `${f(s.warmLagP99Ms)} ms; ${s.warmRowsOver1s[0]} of ${s.warmRowsOver1s[1]}`, "< 1,000 ms"],
    ["sweeps started / due outside faults (worst row); all rows", `${f(100 * s.scheduleSweepsShare, 1)} % (${f(100 * s.scheduleSweepsShareMin, 1)} %); ${f(s.sweepsStarted)} / ${f(s.sweepsDue)}`, "100 %"],
    ["oldest result, worst settled row", `${f(s.settledOldestResultMaxS, 1)} s`, `< ${o.intervalMs / 1000} s + 1 s`],
    ["faults (fleet-wide) / monitor alerts fired / resolved", `${r.faults.length} (${s.fleetWideFaults}) / ${s.monitorAlerts.firing} / ${s.monitorAlerts.resolved}`, "fired = resolved"],
    ["notifications received", Object.entries(r.notifications).map(([k, n]) => `${k} ${f(n)}`).join(", "), ""],
    ["monitor exit", String(r.monitorExit), "0"],
  ];
  return ["| | measured | target |", "|---|---|---|", ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`)].join("\n");
}

export function faultsTable(r: SoakResult): string {
  return ["| from | to | fault | what |", "|---:|---:|---|---|", ...r.faults.map((w) => `| ${clock(w.from / 1000)} | ${clock(w.to / 1000)} | ${w.kind} | ${w.detail} |`)].join("\n");
}
