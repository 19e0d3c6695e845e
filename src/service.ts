import type { Logger } from "pino";
import { CHECKS } from "../checks/index.ts";
import type { Config } from "./config/schema.ts";
import { configSecrets } from "./config/load.ts";
import { registerSecret } from "./redact.ts";
import { Monitor } from "./monitor.ts";
import { Metrics } from "./metrics/metrics.ts";
import { Scheduler } from "./runner/scheduler.ts";
import { StateStore } from "./store/state-store.ts";
import type { WatchState, WatchStore } from "./watch-state.ts";
import { telegramSettings } from "./telegram/client.ts";
import { createTransport } from "./telegram/transport.ts";
import { startHttpServer, type HttpServer } from "./http/server.ts";
import { VERSION } from "./version.ts";
import { channelDeps, createChannels, type ChannelRegistry } from "./alerts/channels/index.ts";
import { Outbox, type OutboxOptions } from "./alerts/outbox.ts";
import { AlertEngine } from "./alerts/engine.ts";
import { maintenanceToSilences } from "./alerts/silences.ts";
import { createTestAccount } from "./testaccount/create.ts";
import { Fleet, type OwnSchedule } from "./fleet.ts";
import { SecretBox } from "./store/secret-box.ts";
import { adminRouter } from "./http/admin.ts";

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Overrides config.server.port (tests pass 0). */
  port?: number;
  /** Overrides config.store.flushInterval (tests shorten it). */
  storeFlushMs?: number;
  /** Outbox timings (tests shorten the back-off). */
  outbox?: Pick<OutboxOptions, "baseBackoffMs" | "maxBackoffMs" | "expireAfterMs" | "sendTimeoutMs">;
  /** How often the monitor-level alert is evaluated (default min(interval, 30 s)). */
  monitorEvaluationMs?: number;
  /** The channel types the config was validated with (default: the built-in ones; tests add a throwaway one). */
  channels?: ChannelRegistry;
}

export interface Service {
  url: string;
  monitor: Monitor;
  scheduler: Scheduler;
  store: WatchStore;
  metrics: Metrics;
  http: HttpServer;
  outbox: Outbox;
  alerts: AlertEngine;
  fleet: Fleet;
  /** Graceful stop: not ready, stop scheduling, let running sweeps finish (bounded), flush state. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Wiring only: every part is built and tested on its own. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, logger } = options;
  // Before anything can log: every secret in the config is masked wherever it would appear.
  configSecrets(config).forEach(registerSecret);
  const store = await StateStore.open<WatchState>({
    path: config.store.path,
    flushIntervalMs: options.storeFlushMs ?? 1000,
    onError: (err) => logger.error({ err }, "state write failed; will retry"),
  });
  const transport = createTransport({ maxSockets: Math.max(64, config.schedule.concurrency * 2) });
  // Monitor and metrics refer to each other: the monitor reports into metrics, metrics read the monitor.
  const metricsRef: { current?: Metrics } = {};
  const channels = createChannels(config.alerts.channels, channelDeps(config), options.channels);
  const outbox = new Outbox({
    store,
    channels,
    logger,
    onResult: (channel, kind, result, message) => {
      metricsRef.current?.observeNotification(channel, kind, result);
      if (result === "sent") engineRef.current?.delivered(message, channel);
    },
    ...options.outbox,
  });
  const engineRef: { current?: AlertEngine } = {};
  const onSweepError = (name: string, err: unknown) => {
    logger.error({ err, bot: name }, "sweep failed");
    metricsRef.current?.observeSweepError();
  };
  const testAccount = await createTestAccount(config, logger);
  const ownSchedules: OwnSchedule[] = [];
  const monitor = new Monitor({
    telegram: telegramSettings(config),
    checks: CHECKS,
    store,
    transport,
    logger,
    onRequest: (method, code, seconds) => metricsRef.current?.observeRequest(method, code, seconds),
    onCheck: (bot, result) => metricsRef.current?.observeCheck(bot, result),
    onSweep: (bot, status) => {
      engineRef.current?.onSweep(bot, status);
      // A bot joins an own-interval schedule (round-trip) after its first sweep, which the live test needs.
      for (const own of ownSchedules) {
        const options = bot.checks[own.check.id] as { enabled?: boolean } | undefined;
        if (own.scheduler.has(bot.name) || options?.enabled === false) continue;
        // On the bot's own interval when it overrides the check's (bots[].checks.round-trip.interval).
        own.scheduler.add(bot.name, status.checks.some((c) => c.check === own.check.id), own.check.ownInterval!(options as never));
      }
    },
    ...(testAccount && { testAccount }),
  });
  for (const check of CHECKS) {
    if (!check.ownInterval) continue;
    const intervalMs = check.ownInterval(config.checks[check.id] as never);
    const scheduler = new Scheduler({ intervalMs, concurrency: Math.max(1, Math.floor(config.schedule.concurrency / 4)), onError: onSweepError }, async (name) => {
      await monitor.runOwn(name, check.id);
    });
    ownSchedules.push({ check, scheduler });
  }
  const engine = (engineRef.current = new AlertEngine({
    store,
    outbox,
    logger,
    policy: {
      failAfter: config.alerts.failAfter,
      recoverAfter: config.alerts.recoverAfter,
      repeatIntervalMs: config.alerts.repeatInterval,
      sendResolved: config.alerts.sendResolved,
    },
    publicUrl: config.server.publicUrl || undefined,
    maintenance: maintenanceToSilences(config.alerts.maintenance),
    statuses: () => monitor.statuses(),
    onError: () => metricsRef.current?.observeAlertError(),
    monitorEvaluationMs: options.monitorEvaluationMs ?? Math.min(config.schedule.interval, 30_000),
  }));
  const metrics = (metricsRef.current = new Metrics(
    {
      bots: () => monitor.bots(),
      statuses: () => monitor.statuses(),
      alertsFiring: () => engine.firing(),
      alertFiring: (name) => Boolean(engine.alertState(name)?.firing),
      silences: () => engine.silences(),
      outboxSize: () => outbox.size,
    },
    VERSION,
    { channels: channels.map((c) => c.name), checks: CHECKS.map((c) => c.id) },
  ));

  const scheduler = new Scheduler({ intervalMs: config.schedule.interval, concurrency: config.schedule.concurrency, onError: onSweepError }, async (name) => {
    await monitor.sweep(name);
  });
  // What the service keeps of the config: everything but the bots, which the monitor holds once
  // resolved (10,000 config entries are some 130,000 objects).
  const settings: Config = { ...config, bots: [] };
  const fleet = new Fleet({
    config: settings,
    store,
    monitor,
    scheduler,
    ownSchedules,
    alerts: engine,
    ...(config.store.secretKey && { secretBox: new SecretBox(config.store.secretKey) }),
    logger,
  });
  fleet.load(config.bots);

  let ready = false;
  const http = await startHttpServer({
    host: config.server.host,
    port: options.port ?? config.server.port,
    monitor,
    metrics,
    logger,
    metricsToken: config.server.metricsToken || undefined,
    trustProxy: config.server.trustProxy,
    // Live while starting and stopping; serving, only while sweeps keep starting (two intervals at most).
    live: () => scheduler.isLive || !ready,
    ready: () => ready,
    alerts: { alertState: (name) => engine.alertState(name), failAfter: engine.failAfter, silences: () => engine.silences(), undelivered: () => outbox.undelivered() },
    ...(config.server.adminToken && {
      admin: adminRouter({
        adminToken: config.server.adminToken,
        config: settings,
        fleet,
        monitor,
        store,
        logger,
        onAuthFailure: () => metrics.observeAuthFailure(),
      }),
    }),
  });
  scheduler.start();
  for (const own of ownSchedules) own.scheduler.start();
  outbox.start();
  engine.start();
  ready = true;
  logger.info(
    { url: http.url, bots: monitor.size, interval: config.schedule.interval, shard: config.shard },
    "secretary-watch is serving",
  );

  let stopping: Promise<void> | undefined;
  const stop = (deadlineMs = 10_000) =>
    (stopping ??= (async () => {
      ready = false;
      engine.stop();
      const abandoned = (await Promise.all([scheduler, ...ownSchedules.map((o) => o.scheduler)].map((s) => s.stop(deadlineMs)))).reduce((a, b) => a + b, 0);
      await testAccount?.close();
      outbox.stop();
      monitor.close();
      await Promise.all(channels.map((c) => c.close?.()));
      if (abandoned > 0) logger.warn({ abandoned }, "stopped with sweeps still running; their results are dropped");
      await store.close();
      await http.close();
      transport.close();
      logger.info("secretary-watch stopped");
    })());

  return { url: http.url, monitor, scheduler, store, metrics, http, outbox, alerts: engine, fleet, stop };
}
