/**
 * The monitor of the soak (bench/soak-run.ts), in a process of its own: `startService` on the benchmark
 * fleet against the stand-in, alerts to the soak's webhook receiver, SQLite in a temporary folder or the
 * PostgreSQL URL it is given. It measures only what a process can see of itself without disturbing it
 * (no forced GC: the heap is read as V8 reports it, and its lowest value of each window is kept, which
 * is the floor a collection leaves). Talks over IPC: sends {url} when listening; answers "sample" with a
 * SoakSample of the window since the previous one; on "stop" stops the service and exits 0.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import pino from "pino";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/log.ts";
import { startService } from "../src/service.ts";
import { webhookChannel } from "../test/support/healthy-fleet.ts";
import { configBots, fleet } from "./fleet.ts";

export interface SoakMonitorOptions {
  apiRoot: string;
  receiverUrl: string;
  bots: number;
  intervalMs: number;
  concurrency: number;
  timeoutMs: number;
  /** PostgreSQL; SQLite in a temporary folder when absent. */
  storeUrl?: string;
  /** How often the "cannot reach Telegram" alert is evaluated (the service's default when absent). */
  monitorEvaluationMs?: number;
}

export interface SoakSample {
  rssMb: number;
  /** Heap used when sampled, and the lowest of the window's one-second readings (after V8's own collections). */
  heapUsedMb: number;
  heapFloorMb: number;
  externalMb: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Scheduler counters since start. */
  started: number;
  skippedOverlap: number;
  failed: number;
  /** Bots with a result, and the oldest result's age (s). */
  results: number;
  oldestResultSeconds: number;
  health: Record<string, number>;
  /** SQLite: database + WAL bytes; null on PostgreSQL (the driver asks the server). */
  storeBytes: number | null;
  cpuMs: number;
}

const options = JSON.parse(process.argv[2]!) as SoakMonitorOptions;
const dir = mkdtempSync(join(tmpdir(), "secretary-watch-soak-"));
const database = join(dir, "secretary-watch.db");
// In a function: the generated fleet and config text are garbage once the service has its config.
const service = await (() => {
  const raw = {
    telegram: { apiRoot: options.apiRoot, timeout: `${options.timeoutMs}ms` },
    server: { host: "127.0.0.1", port: 0 },
    store: options.storeUrl ? { url: options.storeUrl } : { path: database },
    schedule: { interval: `${options.intervalMs}ms`, concurrency: options.concurrency },
    // webhook-endpoint's DNS and TLS handshakes would go to the fleet's made-up hosts.
    checks: { "webhook-endpoint": { enabled: false } },
    alerts: { channels: webhookChannel(options.receiverUrl) },
    bots: configBots(fleet(options.bots)),
  };
  const config = parseConfig(JSON.stringify(raw), {}, "soak config");
  const logger = createLogger({ level: "info", destination: pino.destination({ dest: join(dir, "monitor.log"), sync: false }) });
  return startService({ config, logger, ...(options.monitorEvaluationMs && { monitorEvaluationMs: options.monitorEvaluationMs }) });
})();

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let heapFloor = Infinity;
// One reading a second: cheap, and its minimum tracks the heap after V8's collections.
const reading = setInterval(() => (heapFloor = Math.min(heapFloor, process.memoryUsage().heapUsed)), 1000);

const mb = (bytes: number) => bytes / 2 ** 20;
const fileBytes = () => ["", "-wal"].reduce((sum, suffix) => sum + (existsSync(database + suffix) ? statSync(database + suffix).size : 0), 0);

function sample(): SoakSample {
  const memory = process.memoryUsage();
  const now = Date.now();
  let oldest = 0;
  const health: Record<string, number> = {};
  let results = 0;
  for (const s of service.store.results.values()) {
    results++;
    oldest = Math.max(oldest, now - Date.parse(s.checkedAt));
    health[s.health] = (health[s.health] ?? 0) + 1;
  }
  const cpu = process.cpuUsage();
  const stats = service.scheduler.stats;
  const result: SoakSample = {
    rssMb: mb(memory.rss),
    heapUsedMb: mb(memory.heapUsed),
    heapFloorMb: mb(Math.min(heapFloor, memory.heapUsed)),
    externalMb: mb(memory.external),
    eventLoopDelayP99Ms: eld.percentile(99) / 1e6,
    eventLoopDelayMaxMs: eld.max / 1e6,
    started: stats.started,
    skippedOverlap: stats.skippedOverlap,
    failed: stats.failed,
    results,
    oldestResultSeconds: oldest / 1000,
    health,
    storeBytes: options.storeUrl ? null : fileBytes(),
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  eld.reset();
  heapFloor = Infinity;
  return result;
}

process.on("message", (message) => {
  if (message === "sample") process.send!({ sample: sample() });
  if (message === "stop") {
    clearInterval(reading);
    void service.stop(10_000).then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  }
});
process.send!({ url: service.url });
