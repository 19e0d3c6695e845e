/**
 * `npm run bench`: how much the monitor costs at fleet scale, next to the bare HTTP requests it sends.
 *
 * For each fleet size: a Bot API stand-in (the sandbox, 50 ms per answer) in a child process; a raw
 * `fetch` loop sending the same requests at the same pace and concurrency, in a child process; then
 * the monitor (`startService`) in a child process, measured over whole intervals once every bot is
 * on its slot, while this process scrapes its /metrics every 15 s like Prometheus. The monitor runs
 * with the V8 flags the Kubernetes example sets (RECOMMENDED_NODE_OPTIONS); the 10,000-bot fleet
 * runs once more with Node's defaults, to show what they cost in memory. Prints one table and writes
 * it to bench/RESULTS.md.
 *
 * Then the SQLite store on its own (children again): bench/store-writes.ts for each fleet size (bytes a
 * minute of unchanged sweeps from /proc/self/io, the database's size, an admin write's latency) and
 * bench/history-read.ts at the largest (90 days of history: one bot's history, the fleet's uptime for
 * /status, a start from that database).
 *
 *   npm run bench                      1,000 bots at 10 s, then 10,000 bots at 60 s, then the store (about 14 minutes)
 *   npm run bench -- --quick           1,000 bots only, the store at 1,000 for 20 s (about 2 minutes)
 *   npm run bench -- --no-store        without the store's rows
 *   npm run bench -- 2000:20           any fleet: bots:interval-seconds[:concurrency[:intervals]][:fresh|:restart]
 *     … --node-defaults                  the monitor with Node's own heap sizing
 *     … "--node-options=--max-semi-space-size=8 --heap-growing-percent=20"   with other V8 flags
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { HistoryReadResult } from "./history-read.ts";
import type { HistoryHttpResult } from "./history-http.ts";
import type { MonitorResult } from "./monitor.ts";
import type { RawLoopResult } from "./raw-loop.ts";
import type { StandInStats } from "./stand-in.ts";
import type { StoreWritesResult } from "./store-writes.ts";

interface Scenario {
  bots: number;
  intervalMs: number;
  concurrency: number;
  /** Measured intervals. */
  intervals: number;
  /** fresh: no state file, every bot's first sweep in the first 10 s; restart: from a state file. */
  start: "fresh" | "restart";
  /** V8 flags of the monitor process. */
  nodeOptions: string[];
}

const LATENCY_MS = 50;
const SCRAPE_INTERVAL_MS = 15_000;
/**
 * What deploy/kubernetes gives the service (NODE_OPTIONS): a 16 MB young generation instead of the
 * up-to-64 MB semi-spaces V8 picks on a big machine, and an old generation capped at 256 MB, which makes
 * V8 collect before it doubles a ~90 MB live heap (10,000 bots).
 */
export const RECOMMENDED_NODE_OPTIONS = ["--max-semi-space-size=16", "--max-old-space-size=256"];

interface Scrape {
  ms: number;
  bytes: number;
  /** Sent in chunks as rendered (no Content-Length), rather than rendered whole first. */
  streamed: boolean;
}

const DEFAULT_SCENARIOS: Scenario[] = [
  { bots: 1_000, intervalMs: 10_000, concurrency: 32, intervals: 3, start: "fresh", nodeOptions: RECOMMENDED_NODE_OPTIONS },
  { bots: 10_000, intervalMs: 60_000, concurrency: 64, intervals: 2, start: "restart", nodeOptions: RECOMMENDED_NODE_OPTIONS },
  { bots: 10_000, intervalMs: 60_000, concurrency: 64, intervals: 1, start: "restart", nodeOptions: [] },
];

function scenarios(args: string[]): Scenario[] {
  if (args.includes("--quick")) return DEFAULT_SCENARIOS.slice(0, 1);
  const custom = args.filter((a) => /^\d+:\d+(:\d+)?(:\d+)?(:fresh|:restart)?$/.test(a));
  if (custom.length === 0) return DEFAULT_SCENARIOS;
  return custom.map((a) => {
    const [bots, seconds, concurrency, intervals] = a.split(":").map(Number);
    const start = a.endsWith(":restart") ? "restart" : "fresh";
    const flags = args.find((a) => a.startsWith("--node-options="));
    const nodeOptions = args.includes("--node-defaults") ? [] : flags ? flags.slice("--node-options=".length).split(/\s+/).filter(Boolean) : RECOMMENDED_NODE_OPTIONS;
    return { bots: bots!, intervalMs: seconds! * 1000, concurrency: concurrency || 32, intervals: intervals || 2, start, nodeOptions };
  });
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function child(file: string, args: (string | number)[], execArgv: string[] = []): ChildProcess {
  return fork(here(file), args.map(String), { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
}

function nextMessage<T>(proc: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (m && typeof m === "object" && key in m) {
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        resolve((m as Record<string, T>)[key]!);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${String(proc.spawnargs.find((a) => a.endsWith(".ts")))} exited (${code ?? signal}) before sending ${key}`));
    proc.on("message", onMessage);
    proc.once("exit", onExit);
  });
}

/** Every message carrying `key` until the child exits (0: resolved with them; otherwise rejected). */
function allMessages<T>(proc: ChildProcess, key: string): Promise<T[]> {
  const got: T[] = [];
  proc.on("message", (m: unknown) => {
    if (m && typeof m === "object" && key in m) got.push((m as Record<string, T>)[key]!);
  });
  return new Promise((resolve, reject) =>
    proc.once("exit", (code, signal) => (code === 0 ? resolve(got) : reject(new Error(`${String(proc.spawnargs.find((a) => a.endsWith(".ts")))} exited (${code ?? signal})`)))),
  );
}

const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);

interface Run {
  scenario: Scenario;
  raw: RawLoopResult;
  monitor: MonitorResult;
  scrapes: Scrape[];
  standInCpuShare: number;
  standInCalls: number;
}

/** One stand-in and one raw fetch loop per fleet; then each monitor variant against the same stand-in. */
async function runFleet(group: Scenario[]): Promise<Run[]> {
  const first = group[0]!;
  const standIn = child("stand-in.ts", [first.bots, LATENCY_MS]);
  try {
    const url = await nextMessage<string>(standIn, "url");
    log(`${first.bots} bots: stand-in (sandbox) at ${url}, ${LATENCY_MS} ms per answer`);
    const rawWindowMs = Math.min(first.intervalMs, 15_000);
    log(`${first.bots} bots: raw fetch loop, ${rawWindowMs / 1000} s measured`);
    const raw = await nextMessage<RawLoopResult>(
      child("raw-loop.ts", [url, first.bots, first.intervalMs, first.concurrency, 3_000, rawWindowMs], first.nodeOptions),
      "result",
    );
    const runs: Run[] = [];
    for (const s of group) runs.push(await runMonitor(s, url, standIn, raw));
    return runs;
  } finally {
    standIn.disconnect();
  }
}

async function runMonitor(s: Scenario, url: string, standIn: ChildProcess, raw: RawLoopResult): Promise<Run> {
  const flags = s.nodeOptions.length > 0 ? s.nodeOptions.join(" ") : "Node defaults";
  log(`${s.bots} bots: monitor (${flags}), interval ${s.intervalMs / 1000} s, concurrency ${s.concurrency}, ${s.intervals} interval(s) measured`);
  standIn.send("stats");
  const before = await nextMessage<StandInStats>(standIn, "stats");
  const t0 = performance.now();
  const proc = child("monitor.ts", [url, s.bots, s.intervalMs, s.concurrency, s.intervals, s.start], s.nodeOptions);
  const done = nextMessage<MonitorResult>(proc, "result");
  // Prometheus: a scrape every 15 s from this process (its CPU is not the monitor's; the render is).
  const scrapes: Scrape[] = [];
  const monitorUrl = await nextMessage<string>(proc, "url");
  let finished = false;
  const scraping = (async () => {
    while (!finished) {
      await Promise.race([done, new Promise((r) => setTimeout(r, SCRAPE_INTERVAL_MS))]);
      if (finished) break;
      const t = performance.now();
      try {
        const res = await fetch(`${monitorUrl}/metrics`);
        const body = await res.arrayBuffer();
        if (!finished) scrapes.push({ ms: performance.now() - t, bytes: body.byteLength, streamed: !res.headers.has("content-length") });
      } catch {
        // The monitor is stopping.
      }
    }
  })();
  const monitor = await done;
  finished = true;
  await scraping;
  standIn.send("stats");
  const after = await nextMessage<StandInStats>(standIn, "stats");
  const standInCpuShare = (after.cpuMs - before.cpuMs) / (performance.now() - t0);
  if (process.env.BENCH_VERBOSE) log(JSON.stringify({ raw, monitor, standInCpuShare }));
  return { scenario: s, raw, monitor, scrapes, standInCpuShare, standInCalls: after.calls - before.calls };
}

const f0 = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
const f1 = (x: number, digits = 1) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const f2 = (x: number) => x.toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The SQLite store's figures (store-writes.ts per fleet size, history-read.ts at one). */
interface StoreRun {
  writes: StoreWritesResult[];
  history: HistoryReadResult | undefined;
  http: HistoryHttpResult | undefined;
}

function table(runs: Run[], store: StoreRun | undefined): string {
  // A fleet's store figures go in its first column (not again under Node defaults: the store is the same).
  const firstOf = (r: Run) => runs.find((x) => x.scenario.bots === r.scenario.bots) === r;
  const writesOf = (r: Run) => (firstOf(r) ? store?.writes.find((w) => w.bots === r.scenario.bots) : undefined);
  const historyOf = (r: Run) => (firstOf(r) && store?.history?.bots === r.scenario.bots ? store.history : undefined);
  const httpOf = (r: Run) => (firstOf(r) && store?.http?.bots === r.scenario.bots ? store.http : undefined);
  const mb = (bytes: number, digits = 1) => `${(bytes / 2 ** 20).toFixed(digits)} MB`;
  const storeRows: [string, (r: Run) => string, string][] = !store
    ? []
    : [
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
  const cpuPerK = (cpuMs: number, requests: number) => (cpuMs / requests) * 1000;
  const rows: [string, (r: Run) => string, string][] = [
    ["interval / concurrency / measured", (r) => `${r.scenario.intervalMs / 1000} s / ${r.scenario.concurrency} / ${f0(r.monitor.windowSeconds)} s`, "60 s / – / –"],
    ["Bot API requests per second", (r) => f0(r.monitor.requests / r.monitor.windowSeconds), "≈ 830"],
    ["Bot API answer time seen by the monitor (mean)", (r) => `${f0(r.monitor.requestMeanMs)} ms`, "50 ms + network"],
    ["monitor CPU ms per 1,000 requests", (r) => f0(cpuPerK(r.monitor.cpuMs, r.monitor.requests)), ""],
    ["raw fetch loop CPU ms per 1,000 requests", (r) => f0(cpuPerK(r.raw.cpuMs, r.raw.requests)), ""],
    [
      "**ratio monitor / raw fetch**",
      (r) => `**${f2(cpuPerK(r.monitor.cpuMs, r.monitor.requests) / cpuPerK(r.raw.cpuMs, r.raw.requests))}**`,
      "≤ 1.5",
    ],
    ["monitor CPU, share of one core", (r) => `${f1((100 * r.monitor.cpuMs) / (r.monitor.windowSeconds * 1000))} %`, ""],
    ["sweeps started / slots in window", (r) => `${f0(r.monitor.sweepsStarted)} / ${f0(r.monitor.sweepsExpected)}`, "equal"],
    ["oldest result during window", (r) => `${f1(r.monitor.maxResultAgeSeconds)} s`, "< interval + 1 s"],
    ["schedule lag p50 / p99 (max)", (r) => `${f0(r.monitor.lagP50Ms)} / ${f0(r.monitor.lagP99Ms)} ms (${f0(r.monitor.lagMaxMs)})`, "p99 < 1,000 ms"],
    ["event loop delay p99", (r) => `${f1(r.monitor.eventLoopDelayP99Ms)} ms`, ""],
    ["RSS: peak sampled each second in the window / process maximum", (r) => `${f0(r.monitor.rssPeakMb)} / ${f0(r.monitor.maxRssMb)} MB`, "< 256 MB"],
    ["/metrics render in process, median (max) of 5", (r) => `${f0(median(r.monitor.metricsRenderMs))} ms (${f0(Math.max(...r.monitor.metricsRenderMs))})`, "< 250 ms"],
    [
      "/metrics scraped every 15 s: time median (max), size",
      (r) =>
        r.scrapes.length === 0
          ? "–"
          : `${f0(median(r.scrapes.map((x) => x.ms)))} ms (${f0(Math.max(...r.scrapes.map((x) => x.ms)))}), ${f1(r.monitor.metricsBytes / 2 ** 20)} MB, ${f0(r.monitor.metricsSeries)} series, ${r.scrapes.every((x) => x.streamed) ? "streamed" : "sent whole"}`,
      "",
    ],
    ["store commits per minute (the monitor running: sweeps, alerts, history, heartbeat)", (r) => f1((r.monitor.stateWrites / r.monitor.windowSeconds) * 60), ""],
    [
      "monitor's bytes written to disk per minute (/proc/self/io, its log file left out; the window holds the broken bots' first alert steps)",
      (r) =>
        r.monitor.stateBytes === null
          ? "–"
          : `${f1(((r.monitor.stateBytes / r.monitor.windowSeconds) * 60) / 2 ** 20, 3)} MB (database + wal ${f1(r.monitor.stateFileBytes / 2 ** 20)} MB)`,
      "steady state: the SQLite store rows below",
    ],
    [
      "start",
      (r) =>
        r.monitor.restart
          ? `from a state file: ready in ${f1(r.monitor.startupSeconds)} s`
          : `fresh: ready in ${f1(r.monitor.startupSeconds)} s, every bot swept in ${f1(r.monitor.firstRoundSeconds)} s`,
      "",
    ],
    ["health at the end", (r) => Object.entries(r.monitor.health).map(([h, k]) => `${h} ${k}`).join(", "), ""],
    ["stand-in CPU (share of one core)", (r) => `${f0(100 * r.standInCpuShare)} %`, ""],
    ...storeRows,
  ];
  const column = (r: Run) => `${f0(r.scenario.bots)} bots${r.scenario.nodeOptions.length === 0 ? ", Node defaults" : ""}`;
  const header = `| | ${runs.map(column).join(" | ")} | target (10,000 bots) |`;
  const rule = `|---|${runs.map(() => "---:").join("|")}|---|`;
  return [header, rule, ...rows.map(([label, cell, target]) => `| ${label} | ${runs.map(cell).join(" | ")} | ${target} |`)].join("\n");
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const machine = `${cpu.trim()}, ${os.cpus().length} cores, ${f1(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;
const runs: Run[] = [];
const loadBefore = os.loadavg()[0]!;
const planned = scenarios(process.argv.slice(2));
for (const bots of new Set(planned.map((s) => s.bots))) runs.push(...(await runFleet(planned.filter((s) => s.bots === bots))));
const quick = process.argv.includes("--quick");
let store: StoreRun | undefined;
if (!process.argv.includes("--no-store")) {
  const fleets = [...new Set(planned.map((s) => s.bots))];
  const seconds = quick ? 20 : 60;
  log(`SQLite store: ${seconds} s of unchanged sweeps and 100 admin writes at ${fleets.map(f0).join(" and ")} bots`);
  const writes = await allMessages<StoreWritesResult>(child("store-writes.ts", [seconds, ...fleets, "--engine=sqlite"]), "storeWrites");
  const historyBots = Math.max(...fleets);
  log(`SQLite store: 90 days of history for ${f0(historyBots)} bots (filling takes a while), its reads and a start from it`);
  // One database for both: filling 90 days for 10,000 bots takes minutes.
  const historyDir = mkdtempSync(join(os.tmpdir(), "bench-history-"));
  try {
    const database = join(historyDir, "history.db");
    const [history] = await allMessages<HistoryReadResult>(child("history-read.ts", [historyBots, 90, database]), "historyRead");
    log("SQLite store: the history through the HTTP app (/status, one bot's history, the page) on that database");
    const [http] = await allMessages<HistoryHttpResult>(child("history-http.ts", [historyBots, 90, database]), "historyHttp");
    store = { writes, history, http };
  } finally {
    rmSync(historyDir, { recursive: true, force: true });
  }
}
const loadAfter = os.loadavg()[0]!;

/** The V8 flags the monitor ran with, as the header states them. */
function monitorFlags(list: Scenario[]): string {
  const flags = [...new Set(list.filter((s) => s.nodeOptions.length > 0).map((s) => s.nodeOptions.join(" ")))];
  return flags.map((f) => (f === RECOMMENDED_NODE_OPTIONS.join(" ") ? `${f} (as deploy/kubernetes sets them)` : f)).join(" or ") || "Node defaults";
}

const when = new Date().toISOString().slice(0, 16).replace("T", " ");
const header = [
  `secretary-watch bench, ${when} UTC`,
  `machine: ${machine}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (other work on the machine inflates lag, not CPU per request)`,
  `stand-in: the sandbox (src/sandbox) in its own process, ${LATENCY_MS} ms per answer; fleet: 80 % healthy, 20 % broken (revoked, missing rights, out of scope, webhook errors)`,
  `raw fetch loop: the same requests, pace and concurrency from a bare platform-fetch loop, ${Math.min(...runs.map((r) => r.raw.seconds)).toFixed(0)} s measured; CPU is process.cpuUsage() of each child`,
  `monitor: startService in a child process with ${monitorFlags(planned)} unless the column says Node defaults; /metrics scraped every 15 s during the window`,
  ...(store
    ? [`SQLite store: bench/store-writes.ts (${store.writes[0]?.seconds ?? "–"} s of unchanged sweeps, then 100 admin writes during sweeps) and bench/history-read.ts (generated history, warm page cache), each in a child process`]
    : []),
];
process.stdout.write(`\n${header.join("\n")}\n\n${table(runs, store)}\n`);
// Markdown: a line break after each header line.
writeFileSync(here("RESULTS.md"), `# Benchmark results (last run of \`npm run bench\`)\n\n${header.join("  \n")}\n\n${table(runs, store)}\n`);
