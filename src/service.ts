import type { Logger } from "pino";
import { CHECKS } from "../checks/index.ts";
import type { Config } from "./config/schema.ts";
import { configSecrets, resolveBots } from "./config/load.ts";
import { registerSecret } from "./redact.ts";
import { Monitor } from "./monitor.ts";
import { Metrics } from "./metrics/metrics.ts";
import { Scheduler } from "./runner/scheduler.ts";
import { StateStore } from "./store/state-store.ts";
import { createTransport } from "./telegram/transport.ts";
import { startHttpServer, type HttpServer } from "./http/server.ts";
import { inShard } from "./shard.ts";
import { VERSION } from "./version.ts";

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Overrides config.server.port (tests pass 0). */
  port?: number;
  /** Overrides config.store.flushInterval (tests shorten it). */
  storeFlushMs?: number;
}

export interface Service {
  url: string;
  monitor: Monitor;
  scheduler: Scheduler;
  store: StateStore;
  metrics: Metrics;
  http: HttpServer;
  /** Graceful stop: not ready, stop scheduling, let running sweeps finish (bounded), flush state. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Wiring only: every part is built and tested on its own. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, logger } = options;
  // Before anything can log: every secret in the config is masked wherever it would appear.
  configSecrets(config).forEach(registerSecret);
  const store = await StateStore.open({
    path: config.store.path,
    flushIntervalMs: options.storeFlushMs ?? 1000,
    onError: (err) => logger.error({ err }, "state write failed; will retry"),
  });
  const transport = createTransport({ maxSockets: Math.max(64, config.schedule.concurrency * 2) });
  // Monitor and metrics refer to each other: the monitor reports into metrics, metrics read the monitor.
  const metricsRef: { current?: Metrics } = {};
  const monitor = new Monitor({
    telegram: { apiRoot: config.telegram.apiRoot, environment: config.telegram.environment, timeoutMs: config.telegram.timeout },
    checks: CHECKS,
    store,
    transport,
    logger,
    onRequest: (method, code, seconds) => metricsRef.current?.observeRequest(method, code, seconds),
    onCheck: (result) => metricsRef.current?.observeCheck(result),
  });
  const metrics = (metricsRef.current = new Metrics(monitor, VERSION));

  const scheduler = new Scheduler({ intervalMs: config.schedule.interval, concurrency: config.schedule.concurrency }, async (name) => {
    await monitor.sweep(name);
  });
  for (const bot of resolveBots(config)) {
    if (!inShard(bot.name, config.shard)) continue;
    monitor.upsert(bot);
    scheduler.add(bot.name, store.data.results[bot.name] !== undefined);
  }

  let ready = false;
  const http = await startHttpServer({
    host: config.server.host,
    port: options.port ?? config.server.port,
    monitor,
    metrics,
    logger,
    metricsToken: config.server.metricsToken || undefined,
    live: () => scheduler.isRunning || !ready,
    ready: () => ready,
  });
  scheduler.start();
  ready = true;
  logger.info(
    { url: http.url, bots: monitor.size, interval: config.schedule.interval, shard: config.shard },
    "secretary-watch is serving",
  );

  let stopping: Promise<void> | undefined;
  const stop = (deadlineMs = 10_000) =>
    (stopping ??= (async () => {
      ready = false;
      const abandoned = await scheduler.stop(deadlineMs);
      if (abandoned > 0) logger.warn({ abandoned }, "stopped with sweeps still running; their results are dropped");
      await store.close();
      await http.close();
      transport.close();
      logger.info("secretary-watch stopped");
    })());

  return { url: http.url, monitor, scheduler, store, metrics, http, stop };
}
