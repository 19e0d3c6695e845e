/**
 * The bench's table: one column per monitor variant, each the summary of its rounds (the three
 * contenders in turn, bench/run.ts). CPU per request is the median over rounds with min–max beside
 * it; the headline ratio is taken per round (monitor ÷ that round's floor) before its median, so a
 * machine that drifts between rounds moves numerator and denominator together. Figures where the
 * worst round is what matters (lag, memory, oldest result) take the worst.
 */
import type { HistoryHttpResult } from "./history-http.ts";
import type { HistoryReadResult } from "./history-read.ts";
import type { MonitorResult } from "./monitor.ts";
import type { RawLoopResult } from "./raw-loop.ts";
import type { StoreWritesResult } from "./store-writes.ts";

export interface Scenario {
  bots: number;
  intervalMs: number;
  concurrency: number;
  /** Measured intervals per round. */
  intervals: number;
  /** Rounds of (floor, fetch loop, monitor). */
  rounds: number;
  /** fresh: no state file, every bot's first sweep in the first 10 s; restart: from a state file. */
  start: "fresh" | "restart";
  /** V8 flags of the monitor process. */
  nodeOptions: string[];
}

export interface Scrape {
  ms: number;
  bytes: number;
  /** Sent in chunks as rendered (no Content-Length), rather than rendered whole first. */
  streamed: boolean;
}

export interface Round {
  floor: RawLoopResult;
  fetch: RawLoopResult;
  monitor: MonitorResult;
  scrapes: Scrape[];
  standInCpuShare: number;
  standInCalls: number;
}

export interface Run {
  scenario: Scenario;
  rounds: Round[];
}

/** The SQLite store's figures (store-writes.ts per fleet size, history-read.ts at one). */
export interface StoreRun {
  writes: StoreWritesResult[];
  history: HistoryReadResult | undefined;
  http: HistoryHttpResult | undefined;
}

export const f0 = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
export const f1 = (x: number, digits = 1) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const f2 = (x: number) => x.toFixed(2);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** CPU ms per 1,000 requests. */
export const perK = (x: { cpuMs: number; requests: number }) => (x.cpuMs / x.requests) * 1000;
/** Median (min–max) of a figure over rounds; just the figure for one round. */
const spread = (xs: number[], fmt: (x: number) => string) =>
  xs.length === 1 ? fmt(xs[0]!) : `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

/** Per round: the monitor's CPU per request over the floor's in the same round. */
export const floorRatios = (r: Run) => r.rounds.map((x) => perK(x.monitor) / perK(x.floor));

type Row = [label: string, cell: (r: Run) => string, target: string];

function monitorRows(): Row[] {
  const ms = (r: Run) => r.rounds.map((x) => x.monitor);
  const max = (r: Run, f: (m: MonitorResult) => number) => Math.max(...ms(r).map(f));
  const renders = (r: Run) => ms(r).flatMap((m) => m.metricsRenderMs);
  const renderCpu = (r: Run) => ms(r).flatMap((m) => m.metricsRenderCpuMs ?? []);
  const scrapes = (r: Run) => r.rounds.flatMap((x) => x.scrapes);
  const last = (r: Run) => ms(r).at(-1)!;
  return [
    ["rounds (node:http floor, fetch loop, monitor in turn) / interval / concurrency / monitor measured per round", (r) => `${r.rounds.length} / ${r.scenario.intervalMs / 1000} s / ${r.scenario.concurrency} / ${f0(last(r).windowSeconds)} s`, "– / 60 s / – / –"],
    ["Bot API requests per second (monitor)", (r) => f0(median(ms(r).map((m) => m.requests / m.windowSeconds))), "≈ 830"],
    ["Bot API answer time seen by the monitor (mean)", (r) => `${f0(median(ms(r).map((m) => m.requestMeanMs)))} ms`, "50 ms + network"],
    ["monitor CPU ms per 1,000 requests, median (min–max)", (r) => spread(ms(r).map(perK), f0), ""],
    ["of which kernel / off the main thread (GC helpers, libuv pool)", (r) => `${f0(median(ms(r).map((m) => perK({ cpuMs: m.systemCpuMs, requests: m.requests }))))} / ${f0(median(ms(r).map((m) => perK({ cpuMs: m.cpuMs - m.mainThreadCpuMs, requests: m.requests }))))}`, ""],
    ["node:http floor CPU ms per 1,000 requests", (r) => spread(r.rounds.map((x) => perK(x.floor)), f0), ""],
    ["of which kernel / off the main thread", (r) => `${f0(median(r.rounds.map((x) => perK({ cpuMs: x.floor.systemCpuMs, requests: x.floor.requests }))))} / ${f0(median(r.rounds.map((x) => perK({ cpuMs: x.floor.cpuMs - x.floor.mainThreadCpuMs, requests: x.floor.requests }))))}`, ""],
    ["raw fetch loop CPU ms per 1,000 requests", (r) => spread(r.rounds.map((x) => perK(x.fetch)), f0), ""],
    ["**ratio monitor / node:http floor**, per round: median (min–max)", (r) => `**${spread(floorRatios(r), f2)}**`, "≤ 1.5"],
    ["ratio monitor / raw fetch, per round", (r) => spread(r.rounds.map((x) => perK(x.monitor) / perK(x.fetch)), f2), ""],
    ["monitor CPU, share of one core", (r) => `${f1(median(ms(r).map((m) => (100 * m.cpuMs) / (m.windowSeconds * 1000))))} %`, ""],
    ["sweeps started / slots in window (all rounds)", (r) => `${f0(sum(ms(r).map((m) => m.sweepsStarted)))} / ${f0(sum(ms(r).map((m) => m.sweepsExpected)))}`, "equal"],
    ["oldest result during window (worst round)", (r) => `${f1(max(r, (m) => m.maxResultAgeSeconds))} s`, "< interval + 1 s"],
    ["schedule lag p50 / p99 (max), worst round", (r) => `${f0(max(r, (m) => m.lagP50Ms))} / ${f0(max(r, (m) => m.lagP99Ms))} ms (${f0(max(r, (m) => m.lagMaxMs))})`, "p99 < 1,000 ms"],
    ["event loop delay p99, worst round", (r) => `${f1(max(r, (m) => m.eventLoopDelayP99Ms))} ms`, ""],
    ["RSS: peak sampled each second in the window / process maximum, worst round", (r) => `${f0(max(r, (m) => m.rssPeakMb))} / ${f0(max(r, (m) => m.maxRssMb))} MB`, "≤ 160 MB (≤ 512 MB at 50,000)"],
    ["heap used at the window's end", (r) => `${f0(median(ms(r).map((m) => m.heapUsedMb)))} MB`, ""],
    ["/metrics render in process, median (max) of 5 per round", (r) => `${f0(median(renders(r)))} ms (${f0(Math.max(...renders(r)))})`, "≤ 120 ms"],
    ["main-thread CPU during a render (the sweeps in its pauses included), median", (r) => (renderCpu(r).length ? `${f0(median(renderCpu(r)))} ms` : "–"), ""],
    [
      "/metrics scraped every 15 s: time median (max), size",
      (r) =>
        scrapes(r).length === 0
          ? "–"
          : `${f0(median(scrapes(r).map((x) => x.ms)))} ms (${f0(Math.max(...scrapes(r).map((x) => x.ms)))}), ${f1(last(r).metricsBytes / 2 ** 20)} MB, ${f0(last(r).metricsSeries)} series, ${scrapes(r).every((x) => x.streamed) ? "streamed" : "sent whole"}`,
      "",
    ],
    ["store commits per minute (the monitor running: sweeps, alerts, history, heartbeat)", (r) => f1(median(ms(r).map((m) => (m.stateWrites / m.windowSeconds) * 60))), ""],
    [
      "monitor's bytes written to disk per minute (/proc/self/io, its log file left out; the window holds the broken bots' first alert steps)",
      (r) => {
        const m = last(r);
        return m.stateBytes === null ? "–" : `${f1(((m.stateBytes / m.windowSeconds) * 60) / 2 ** 20, 3)} MB (database + wal ${f1(m.stateFileBytes / 2 ** 20)} MB)`;
      },
      "steady state: the SQLite store rows below",
    ],
    [
      "start",
      (r) => {
        const m = ms(r)[0]!;
        return m.restart ? `from a state file: ready in ${f1(m.startupSeconds)} s` : `fresh: ready in ${f1(m.startupSeconds)} s, every bot swept in ${f1(m.firstRoundSeconds)} s`;
      },
      "",
    ],
    ["health at the end", (r) => Object.entries(last(r).health).map(([h, k]) => `${h} ${k}`).join(", "), ""],
    ["stand-in CPU (share of one core)", (r) => `${f0(100 * median(r.rounds.map((x) => x.standInCpuShare)))} %`, ""],
  ];
}

function storeRows(runs: Run[], store: StoreRun | undefined): Row[] {
  if (!store) return [];
  // A fleet's store figures go in its first column (not again under Node defaults: the store is the same).
  const firstOf = (r: Run) => runs.find((x) => x.scenario.bots === r.scenario.bots) === r;
  const writesOf = (r: Run) => (firstOf(r) ? store.writes.find((w) => w.bots === r.scenario.bots) : undefined);
  const historyOf = (r: Run) => (firstOf(r) && store.history?.bots === r.scenario.bots ? store.history : undefined);
  const httpOf = (r: Run) => (firstOf(r) && store.http?.bots === r.scenario.bots ? store.http : undefined);
  const mb = (bytes: number, digits = 1) => `${(bytes / 2 ** 20).toFixed(digits)} MB`;
  return [
    ["SQLite store: bytes written per minute, sweeps unchanged (/proc/self/io write_bytes)", (r) => { const w = writesOf(r); return w ? mb((w.bytesWritten / w.seconds) * 60, 3) : "–"; }, "≤ 1 MB (≤ 0.2 MB at 1,000)"],
    ["SQLite store: database size (every bot's state)", (r) => { const w = writesOf(r); return w ? mb(w.fileBytes) : "–"; }, ""],
    ["SQLite store: admin write acknowledged on disk p50 / p99", (r) => { const w = writesOf(r); return w ? `${f1(w.adminP50Ms)} / ${f1(w.adminP99Ms)} ms` : "–"; }, "p99 < 20 ms"],
    ["history, 90 days generated (one bot in five flapping): database", (r) => { const h = historyOf(r); return h ? `${mb(h.databaseBytes, 0)}, ${f0(h.transitions)} transitions` : "–"; }, ""],
    ["history: one bot's 90 days (window, uptime, bar, incidents), median", (r) => { const h = historyOf(r); return h ? `${f1(h.oneBotMs)} ms` : "–"; }, "< 20 ms"],
    ["history: every bot's uptime 24 h / 7 d / 30 d / 90 d for /status, median (first read)", (r) => { const h = historyOf(r); return h ? `${f1(h.fleetMs)} ms (${f0(h.fleetFirstMs)})` : "–"; }, "≤ 100 ms (/status < 250 ms)"],
    ["GET /status on that database (every bot's uptime and open incident), median (first)", (r) => { const h = httpOf(r); return h ? `${f1(h.statusMs)} ms (${f0(h.statusFirstMs)})` : "–"; }, "< 250 ms"],
    ["GET /status/bots/:name/history (7 days of a flapping bot), median", (r) => { const h = httpOf(r); return h ? `${f1(h.botHistoryMs)} ms` : "–"; }, "< 20 ms"],
    ["GET / (a page of 100 bots with 30-day uptime and 90-day bars) / GET /bots/:name, median", (r) => { const h = httpOf(r); return h ? `${f0(h.pageMs)} / ${f0(h.botPageMs)} ms` : "–"; }, "< 300 ms"],
    ["start from that database with every bot's state: open + rollup of one day", (r) => { const h = historyOf(r); return h ? `${f1((h.openMs + h.rollUpMs) / 1000)} s (${f0(h.openMs)} + ${f0(h.rollUpMs)} ms)` : "–"; }, "< 2 s"],
  ];
}

export function table(runs: Run[], store: StoreRun | undefined): string {
  const rows = [...monitorRows(), ...storeRows(runs, store)];
  const column = (r: Run) => `${f0(r.scenario.bots)} bots${r.scenario.nodeOptions.length === 0 ? ", Node defaults" : ""}`;
  const header = `| | ${runs.map(column).join(" | ")} | target (10,000 bots) |`;
  const rule = `|---|${runs.map(() => "---:").join("|")}|---|`;
  return [header, rule, ...rows.map(([label, cell, target]) => `| ${label} | ${runs.map(cell).join(" | ")} | ${target} |`)].join("\n");
}
