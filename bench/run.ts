/**
 * `npm run bench`: how much the monitor costs at fleet scale, next to the bare HTTP requests it sends.
 *
 * For each fleet size: a Bot API stand-in (the sandbox, 50 ms per answer) in a child process; then
 * rounds of three contenders in turn, each in a child process of its own: the floor (the same
 * requests at the same pace and concurrency over `node:http` with a keep-alive agent and
 * `JSON.parse`, nothing else), the same over the platform `fetch`, and the monitor (`startService`),
 * measured over whole intervals once every bot is on its slot while this process scrapes its
 * /metrics every 15 s like Prometheus. The headline is the monitor's CPU per request over the
 * floor's, per round. The monitor runs with the V8 flags the Kubernetes example sets
 * (RECOMMENDED_NODE_OPTIONS); the 10,000-bot fleet runs once more with Node's defaults, to show what
 * they cost in memory; 50,000 bots run once at the default interval. Prints one table and writes it
 * to bench/RESULTS.md.
 *
 * Then the SQLite store on its own (children again): bench/store-writes.ts for each fleet size (bytes a
 * minute of unchanged sweeps from /proc/self/io, the database's size, an admin write's latency) and
 * bench/history-read.ts at the largest (90 days of history: one bot's history, the fleet's uptime for
 * /status, a start from that database).
 *
 *   npm run bench                      1,000 and 10,000 bots (3 rounds each), 50,000 bots, then the store (about 25 minutes)
 *   npm run bench -- --quick           1,000 bots only, the store at 1,000 for 20 s (about 2 minutes)
 *   npm run bench -- --no-store        without the store's rows
 *   npm run bench -- 2000:20           any fleet: bots:interval-seconds[:concurrency[:intervals]][:fresh|:restart]
 *     … --rounds=3                       rounds of floor, fetch loop and monitor (1 unless given)
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
import type { LoopClient, RawLoopResult } from "./raw-loop.ts";
import type { StandInStats } from "./stand-in.ts";
import type { StoreWritesResult } from "./store-writes.ts";
import { f0, f1, table, type Round, type Run, type Scenario, type Scrape, type StoreRun } from "./table.ts";
import { nextMessage } from "./ipc.ts";

const LATENCY_MS = 50;
const SCRAPE_INTERVAL_MS = Number(process.env.BENCH_SCRAPE_MS ?? 15_000);
/**
 * What deploy/kubernetes gives the service (NODE_OPTIONS): a 16 MB young generation instead of the
 * up-to-64 MB semi-spaces V8 picks on a big machine, and an old generation capped at 256 MB, which makes
 * V8 collect before it doubles a ~90 MB live heap (10,000 bots).
 */
export const RECOMMENDED_NODE_OPTIONS = ["--max-semi-space-size=16", "--max-old-space-size=256"];

const DEFAULT_SCENARIOS: Scenario[] = [
  { bots: 1_000, intervalMs: 10_000, concurrency: 32, intervals: 3, rounds: 3, start: "fresh", nodeOptions: RECOMMENDED_NODE_OPTIONS },
  { bots: 10_000, intervalMs: 60_000, concurrency: 64, intervals: 1, rounds: 3, start: "restart", nodeOptions: RECOMMENDED_NODE_OPTIONS },
  { bots: 10_000, intervalMs: 60_000, concurrency: 64, intervals: 1, rounds: 1, start: "restart", nodeOptions: [] },
  // The old generation's cap raised as the README says for big fleets (~10 MB per 1,000 bots above 10,000).
  { bots: 50_000, intervalMs: 60_000, concurrency: 256, intervals: 1, rounds: 1, start: "restart", nodeOptions: ["--max-semi-space-size=16", "--max-old-space-size=640"] },
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
    const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice("--rounds=".length) ?? 1);
    return { bots: bots!, intervalMs: seconds! * 1000, concurrency: concurrency || 32, intervals: intervals || 2, rounds, start, nodeOptions };
  });
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function child(file: string, args: (string | number)[], execArgv: string[] = []): ChildProcess {
  return fork(here(file), args.map(String), { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
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

/** A loop contender's window: long enough for thousands of requests, short next to the monitor's. */
const LOOP_WINDOW_MS = 15_000;
const LOOP_WARMUP_MS = 3_000;

function loop(client: LoopClient, s: Scenario, url: string): Promise<RawLoopResult> {
  log(`${s.bots} bots: ${client === "http" ? "node:http floor" : "raw fetch"} loop, ${LOOP_WINDOW_MS / 1000} s measured`);
  const windowMs = Math.min(s.intervalMs, LOOP_WINDOW_MS);
  return nextMessage<RawLoopResult>(child("raw-loop.ts", [url, client, s.bots, s.intervalMs, s.concurrency, LOOP_WARMUP_MS, windowMs], s.nodeOptions), "result");
}

/**
 * One stand-in per fleet; then, for each monitor variant, rounds of the three contenders in turn
 * (the node:http floor, the fetch loop, the monitor) against it, so that each round's ratio compares
 * runs minutes apart at most and a drift in the machine's speed moves all three alike.
 */
async function runFleet(group: Scenario[]): Promise<Run[]> {
  const first = group[0]!;
  const standIn = child("stand-in.ts", [first.bots, LATENCY_MS]);
  try {
    const url = await nextMessage<string>(standIn, "url");
    log(`${first.bots} bots: stand-in (sandbox) at ${url}, ${LATENCY_MS} ms per answer`);
    const runs: Run[] = [];
    for (const s of group) {
      const rounds: Round[] = [];
      // One folder for the scenario's rounds: each later round restarts on the database the last one left.
      const dir = mkdtempSync(join(os.tmpdir(), "secretary-watch-bench-"));
      try {
        for (let r = 1; r <= s.rounds; r++) {
          log(`${s.bots} bots: round ${r} of ${s.rounds}`);
          const floor = await loop("http", s, url);
          const fetchLoop = await loop("fetch", s, url);
          rounds.push({ floor, fetch: fetchLoop, ...(await runMonitor(s, url, standIn, dir)) });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      runs.push({ scenario: s, rounds });
    }
    return runs;
  } finally {
    standIn.disconnect();
  }
}

async function runMonitor(s: Scenario, url: string, standIn: ChildProcess, dir: string): Promise<Omit<Round, "floor" | "fetch">> {
  const flags = s.nodeOptions.length > 0 ? s.nodeOptions.join(" ") : "Node defaults";
  log(`${s.bots} bots: monitor (${flags}), interval ${s.intervalMs / 1000} s, concurrency ${s.concurrency}, ${s.intervals} interval(s) measured`);
  standIn.send("stats");
  const before = await nextMessage<StandInStats>(standIn, "stats");
  const t0 = performance.now();
  const proc = child("monitor.ts", [url, s.bots, s.intervalMs, s.concurrency, s.intervals, s.start, dir], s.nodeOptions);
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
  if (process.env.BENCH_VERBOSE) log(JSON.stringify({ monitor, standInCpuShare }));
  return { monitor, scrapes, standInCpuShare, standInCalls: after.calls - before.calls };
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
  // The store's own figures stop at 10,000 bots: 90 days of history for 50,000 would take the bench's hour.
  const fleets = [...new Set(planned.map((s) => s.bots))].filter((bots) => bots <= 10_000);
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
  `node:http floor and raw fetch loop: the same requests, pace and concurrency from a bare loop (node:http with a keep-alive agent and JSON.parse; the platform fetch), ${Math.min(...runs.flatMap((r) => r.rounds.map((x) => x.floor.seconds))).toFixed(0)} s measured each; CPU is process.cpuUsage() of each child; each round runs floor, fetch loop and monitor in turn`,
  `monitor: startService in a child process with ${monitorFlags(planned)} unless the column says Node defaults; /metrics scraped every 15 s during the window`,
  ...(store
    ? [`SQLite store: bench/store-writes.ts (${store.writes[0]?.seconds ?? "–"} s of unchanged sweeps, then 100 admin writes during sweeps) and bench/history-read.ts (generated history, warm page cache), each in a child process`]
    : []),
];
process.stdout.write(`\n${header.join("\n")}\n\n${table(runs, store)}\n`);
// Markdown: a line break after each header line.
writeFileSync(here("RESULTS.md"), `# Benchmark results (last run of \`npm run bench\`)\n\n${header.join("  \n")}\n\n${table(runs, store)}\n`);
