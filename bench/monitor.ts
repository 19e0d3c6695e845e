/**
 * The monitor under test, in a process of its own: `startService` with a generated config (the
 * benchmark fleet, a short or default interval, the state file in a temporary folder, no live
 * round-trip test) against the stand-in. After the first sweep of every bot and a short settling
 * time it measures one window of whole intervals: its own CPU time (`process.cpuUsage`), Bot API
 * requests sent, schedule lag (from /metrics, as any scraper reads it), peak RSS, state-file writes;
 * then renders /metrics a few times.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Session } from "node:inspector";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import pino from "pino";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/log.ts";
import { startService } from "../src/service.ts";
import { lagBetween, lagQuantileMs, scrapeScheduleLag } from "../test/support/schedule-lag.ts";
import { configBots, fleet } from "./fleet.ts";

export interface MonitorResult {
  bots: number;
  intervalMs: number;
  concurrency: number;
  restart: boolean;
  startupSeconds: number;
  /** Fresh start only: until every bot had its first sweep. */
  firstRoundSeconds: number;
  windowSeconds: number;
  requests: number;
  requestCodes: Record<string, number>;
  /** Mean Bot API answer time as the monitor saw it (the stand-in waits 50 ms). */
  requestMeanMs: number;
  cpuMs: number;
  /** Of cpuMs, in the kernel (system time). */
  systemCpuMs: number;
  /** Of cpuMs, on the main thread (the rest: GC helpers, the libuv pool, V8's compilers). */
  mainThreadCpuMs: number;
  sweepsStarted: number;
  sweepsExpected: number;
  skippedOverlap: number;
  /** From secretary_schedule_lag_seconds over the window, interpolated within buckets (histogram_quantile). */
  lagP50Ms: number;
  lagP99Ms: number;
  /** The upper bound of the highest bucket any sweep's lag fell in. */
  lagMaxMs: number;
  /** Oldest last sweep of any bot, sampled during the window (seconds). */
  maxResultAgeSeconds: number;
  eventLoopDelayP99Ms: number;
  rssPeakMb: number;
  /** getrusage's maximum resident set size until the window's end: start-up and scrapes included. */
  maxRssMb: number;
  heapUsedMb: number;
  stateWrites: number;
  stateBytes: number | null;
  stateFileBytes: number;
  metricsRenderMs: number[];
  /** Main-thread CPU during each render (the sweeps running in its pauses included). */
  metricsRenderCpuMs: number[];
  metricsBytes: number;
  metricsSeries: number;
  health: Record<string, number>;
}

const [url, nArg, intervalArg, concurrencyArg, windowIntervalsArg, startArg, dirArg] = process.argv.slice(2);
const n = Number(nArg);
const intervalMs = Number(intervalArg);
const concurrency = Number(concurrencyArg);
const windowMs = Number(windowIntervalsArg) * intervalMs;
/** "fresh": no state file (every bot's first sweep within 10 s); "restart": a state file with every bot. */
const restart = startArg === "restart";
/** BENCH_CPU_PROFILE=file: a CPU profile of the measured window alone (start-up and renders left out). */
async function startProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<{ profile?: object }>((resolve, reject) => session.post(method, (err, out) => (err ? reject(err) : resolve(out as { profile?: object }))));
  await post("Profiler.enable");
  await post("Profiler.start");
  return async () => (await post("Profiler.stop")).profile!;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The monitor's folder: the bench's rounds share one (dirArg), so a later round starts on the database
 * an earlier one left, as a restarted monitor does: every result known, the broken bots' alerts firing.
 */
const dir = dirArg ?? mkdtempSync(join(tmpdir(), "secretary-watch-bench-"));
const database = join(dir, "secretary-watch.db");
/** A database left by an earlier round: its results are real and its alerts have taken their steps. */
const resumed = existsSync(database);
// The log of this round only (its size is left out of the bytes written).
rmSync(join(dir, "monitor.log"), { force: true });
const started = performance.now();
// In a function: the generated fleet and config text are garbage once the service has its config.
const service = await (async () => {
  const bots = fleet(n);
  if (restart && !resumed) {
    // As after a restart: every bot has a last result, so each keeps its own slot from the start.
    const at = new Date().toISOString();
    const results = Object.fromEntries(
      bots.map((b) => [b.name, { name: b.name, username: b.username, health: "unknown", since: at, checkedAt: at, checks: [], observed: {} }]),
    );
    writeFileSync(join(dir, "state.json"), JSON.stringify({ version: 1, results, alerts: {}, outbox: [], silences: [] }), { mode: 0o600 });
  }
  const raw = {
    telegram: { apiRoot: url, timeout: "10s" },
    server: { host: "127.0.0.1", port: 0 },
    // A restart imports the state file beside it (the earlier release's default layout).
    store: { path: database },
    schedule: { interval: `${intervalMs}ms`, concurrency },
    // The bench weighs the Bot API path (its figures are per request): webhook-endpoint's DNS and TLS
    // handshake go to the bots' real hosts, which a bench must not reach.
    checks: { "webhook-endpoint": { enabled: false } },
    bots: configBots(bots),
  };
  const config = parseConfig(JSON.stringify(raw), {}, "bench config");
  const logger = createLogger({ level: "info", destination: pino.destination({ dest: join(dir, "monitor.log"), sync: false }) });
  return startService({ config, logger });
})();
const startupSeconds = (performance.now() - started) / 1000;
if (process.env.BENCH_VERBOSE) setTimeout(() => process.stderr.write(`[monitor] v8 ${JSON.stringify(v8.getHeapStatistics())}\n`), 20_000).unref();
if (process.env.BENCH_VERBOSE) process.stderr.write(`[monitor] started: rss ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MB, max ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`);
process.send?.({ url: service.url });

const requestCount = async (): Promise<Record<string, number>> => {
  const metric = service.metrics.registry.getSingleMetric("secretary_telegram_requests_total");
  const byCode: Record<string, number> = {};
  for (const v of (await metric?.get())?.values ?? []) {
    const code = String(v.labels.code);
    byCode[code] = (byCode[code] ?? 0) + v.value;
  }
  return byCode;
};
/** Sum and count of the monitor's own Bot API request-duration histogram. */
const durations = async (): Promise<{ sum: number; count: number }> => {
  const metric = service.metrics.registry.getSingleMetric("secretary_telegram_request_duration_seconds");
  let sum = 0;
  let count = 0;
  for (const v of (await metric?.get())?.values ?? []) {
    const name = (v as { metricName?: string }).metricName ?? "";
    if (name.endsWith("_sum")) sum += v.value;
    if (name.endsWith("_count")) count += v.value;
  }
  return { sum, count };
};
const total = (codes: Record<string, number>) => Object.values(codes).reduce((a, b) => a + b, 0);
const storeStats = () => service.store.stats as { writes: number; bytes?: number };
/** What this process sent to the disk (/proc/self/io write_bytes), less what went to its own log file. */
const diskBytes = (): number => {
  const line = readFileSync("/proc/self/io", "utf8").split("\n").find((l) => l.startsWith("write_bytes:"));
  return Number(line?.split(":")[1] ?? NaN) - (existsSync(join(dir, "monitor.log")) ? statSync(join(dir, "monitor.log")).size : 0);
};

// Warm-up: a fresh start waits for every bot's first sweep (spread over the first 10 s, at most
// `concurrency` at a time); a restart only lets the process settle, as every bot is on its slot.
let firstRoundSeconds = NaN;
if (!restart && !resumed) {
  while ([...service.store.results.values()].length < n) await sleep(250);
  firstRoundSeconds = (performance.now() - started) / 1000 - startupSeconds;
}
// Then the steady state: on a database of an earlier round, one interval (every bot swept since the start);
// on a new one, two whole intervals: every bot has had a sweep with a real answer (a restart's imported
// results are unknown) and the broken bots' alerts have fired (failAfter: 2 sweeps), so the window
// holds unchanged sweeps, as a monitor that has been running does.
await sleep(resumed ? intervalMs : 2 * intervalMs);

// The window: whole intervals, so every bot has exactly windowMs / intervalMs slots in it.
const stats = service.scheduler.stats;
const lag0 = await scrapeScheduleLag(service.url);
const started0 = stats.started;
const skipped0 = stats.skippedOverlap;
const codes0 = await requestCount();
const durations0 = await durations();
const writes0 = storeStats().writes;
const bytes0 = diskBytes();
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let rssPeak = 0;
let maxAge = 0;
const sampleAge = () => {
  const now = Date.now();
  for (const s of service.store.results.values()) maxAge = Math.max(maxAge, now - Date.parse(s.checkedAt));
};
const profile = process.env.BENCH_CPU_PROFILE ? await startProfile() : undefined;
const cpu0 = process.cpuUsage();
const thread0 = process.threadCpuUsage();
const t0 = performance.now();
while (performance.now() - t0 < windowMs) {
  await sleep(1000);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  if (process.env.BENCH_VERBOSE) {
    const m = process.memoryUsage();
    const mb = (x: number) => Math.round(x / 2 ** 20);
    const spaces = v8.getHeapSpaceStatistics().map((sp) => `${sp.space_name.replace("_space", "")} ${mb(sp.space_used_size)}/${mb(sp.space_size)}`);
    process.stderr.write(`[monitor] rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} buffers ${mb(m.arrayBuffers)} MB; ${spaces.join(", ")}\n`);
  }
  // Every bot's last sweep must be at most one interval (plus lag and the sweep) old. Sampled in the
  // window's last interval: a fresh start's first sweeps come before their slots and are not counted.
  if (performance.now() - t0 > windowMs - intervalMs && Math.round((performance.now() - t0) / 1000) % 5 === 0) sampleAge();
}
const cpu = process.cpuUsage(cpu0);
const thread = process.threadCpuUsage(thread0);
if (profile) writeFileSync(process.env.BENCH_CPU_PROFILE!, JSON.stringify(await profile()));
const maxRssKb = process.resourceUsage().maxRSS;
const windowSeconds = (performance.now() - t0) / 1000;
eld.disable();
sampleAge();
const codes1 = await requestCount();
const durations1 = await durations();
const requestCodes = Object.fromEntries(Object.entries(codes1).map(([k, v]) => [k, v - (codes0[k] ?? 0)]));
const lag = lagBetween(lag0, await scrapeScheduleLag(service.url));
const lagMaxMs = (lag.buckets.find(([, n]) => n === lag.count)?.[0] ?? NaN) * 1000;
const stateWrites = storeStats().writes - writes0;
const bytes1 = diskBytes();
const sweepsStarted = stats.started - started0;
const skippedOverlap = stats.skippedOverlap - skipped0;

// /metrics: rendered in process five times (chunks as /metrics streams them, when the registry can
// stream; else the string), then once as one string for its size and series.
const registry = service.metrics.registry as typeof service.metrics.registry & { stream?: () => AsyncIterable<Buffer> };
const metricsRenderMs: number[] = [];
const metricsRenderCpuMs: number[] = [];
/** BENCH_RENDER_PROFILE=file: a CPU profile of the five renders alone. */
const renderProfile = process.env.BENCH_RENDER_PROFILE ? await startProfile() : undefined;
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const c = process.threadCpuUsage();
  if (registry.stream) for await (const _ of registry.stream());
  else await registry.metrics();
  metricsRenderMs.push(performance.now() - t);
  // The main thread's CPU over the render: the render's own and the sweeps' that ran in its pauses.
  const used = process.threadCpuUsage(c);
  metricsRenderCpuMs.push((used.user + used.system) / 1000);
}
if (renderProfile) writeFileSync(process.env.BENCH_RENDER_PROFILE!, JSON.stringify(await renderProfile()));
const metricsText = await registry.metrics();
const metricsBytes = Buffer.byteLength(metricsText);
let metricsSeries = 0;
for (const line of metricsText.split("\n")) if (line !== "" && !line.startsWith("#")) metricsSeries++;

const health: Record<string, number> = {};
for (const s of service.store.results.values()) health[s.health] = (health[s.health] ?? 0) + 1;
const stateFileBytes = ["", "-wal"].reduce((sum, suffix) => sum + (existsSync(join(dir, `secretary-watch.db${suffix}`)) ? statSync(join(dir, `secretary-watch.db${suffix}`)).size : 0), 0);
const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
await service.stop(5_000);
if (!dirArg) rmSync(dir, { recursive: true, force: true });

const result: MonitorResult = {
  bots: n,
  intervalMs,
  concurrency,
  restart: restart || resumed,
  startupSeconds,
  firstRoundSeconds,
  windowSeconds,
  requests: total(requestCodes),
  requestCodes,
  requestMeanMs: ((durations1.sum - durations0.sum) / Math.max(1, durations1.count - durations0.count)) * 1000,
  cpuMs: (cpu.user + cpu.system) / 1000,
  systemCpuMs: cpu.system / 1000,
  mainThreadCpuMs: (thread.user + thread.system) / 1000,
  sweepsStarted,
  sweepsExpected: n * Math.round(windowMs / intervalMs),
  skippedOverlap,
  lagP50Ms: lagQuantileMs(lag, 0.5),
  lagP99Ms: lagQuantileMs(lag, 0.99),
  lagMaxMs,
  maxResultAgeSeconds: maxAge / 1000,
  eventLoopDelayP99Ms: eld.percentile(99) / 1e6,
  rssPeakMb: rssPeak / 2 ** 20,
  maxRssMb: maxRssKb / 1024,
  heapUsedMb,
  stateWrites,
  stateBytes: Number.isFinite(bytes1 - bytes0) ? bytes1 - bytes0 : null,
  stateFileBytes,
  metricsRenderMs,
  metricsRenderCpuMs,
  metricsBytes,
  metricsSeries,
  health,
};
if (process.send) process.send({ result }, () => process.exit(0));
else {
  // Run by hand (profiling): print the result.
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
  process.exit(0);
}
