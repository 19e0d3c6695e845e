import type { Logger } from "pino";
import { CHECKS } from "../checks/index.ts";
import type { Config } from "./config/schema.ts";
import { configSecrets } from "./config/load.ts";
import { registerSecret } from "./redact.ts";
import { Monitor, toListeners, type Sweep } from "./monitor.ts";
import { Metrics, SWEEP_SCHEDULE } from "./metrics/metrics.ts";
import { Scheduler } from "./runner/scheduler.ts";
import { OwnSchedules } from "./runner/own-schedules.ts";
import type { CheckRegistry } from "./runner/define-check.ts";
import { HistoryMaintenance } from "./store/history-maintenance.ts";
import { openServiceStore, type ServiceHistory } from "./store/open-service-store.ts";
import { ShardLeases } from "./replicas/shard-leases.ts";
import { recordSweep } from "./history/sweep-recorder.ts";
import { notificationRecorder } from "./history/notification-recorder.ts";
import type { WatchStore } from "./watch-state.ts";
import { telegramSettings } from "./telegram/client.ts";
import { createTransport } from "./telegram/transport.ts";
import { startHttpServer, type HttpServer } from "./http/server.ts";
import { VERSION } from "./version.ts";
import { channelDeps, createChannels, type ChannelRegistry } from "./alerts/channels/index.ts";
import { Outbox, type OutboxOptions } from "./alerts/outbox.ts";
import { AlertEngine } from "./alerts/engine.ts";
import { MaintenanceSchedule } from "./alerts/maintenance-windows.ts";
import { createTestAccount } from "./testaccount/create.ts";
import { Fleet } from "./fleet.ts";
import { SecretBox } from "./store/secret-box.ts";
import { Access } from "./http/access.ts";
import { guardedRoutes } from "./http/access-wiring.ts";
import { ReportScheduler } from "./reports/report-scheduler.ts";
import { failingFromStatuses } from "./reports/failing-bots.ts";
import { filter, ownedOnly } from "./owned.ts";
import { createReloader, type ConfigReloader } from "./reload/wire-reload.ts";
import { reloadRoute } from "./http/reload-route.ts";
import { WallSteps } from "./wall-steps.ts";
import { wallStepHistory } from "./history/wall-step-history.ts";

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Overrides config.server.port (tests pass 0). */
  port?: number;
  /** How often batched bookkeeping (last-sweep times) is written (tests shorten it; default 1 min). */
  storeFlushMs?: number;
  /** How often the monitor's heartbeat is recorded (tests shorten it; default 15 s). */
  heartbeatMs?: number;
  /** Outbox timings (tests shorten the back-off). */
  outbox?: Pick<OutboxOptions, "baseBackoffMs" | "maxBackoffMs" | "expireAfterMs" | "sendTimeoutMs">;
  /** How often the monitor-level alert is evaluated (default min(interval, 30 s)). */
  monitorEvaluationMs?: number;
  /** Replicas (store.url): a shard lease (tests shorten it; default 30 s). */
  leaseMs?: number;
  /** Replicas: how often other replicas' changes are read besides NOTIFY (tests shorten it; default 2 s). */
  replicaPollMs?: number;
  /** The channel types the config was validated with (default: the built-in ones; tests add a throwaway one). */
  channels?: ChannelRegistry;
  /**
   * The checks to run (default CHECKS): a test adds a plug-in here. The config must have been
   * validated against the same list (`configSchemaFor`).
   */
  checks?: CheckRegistry;
  /** The file `config` was read from and how it is read again (README, "Reload"); absent (the demo), a reload is refused. */
  reloadFrom?: { file: string; load?: (file: string) => Config };
}

export interface Service {
  url: string;
  monitor: Monitor;
  scheduler: Scheduler<Sweep>;
  store: WatchStore;
  /** Uptime, incidents, the audit log and notification attempts (README, "Storage and history"). */
  history: ServiceHistory;
  /** Replicas (store.url): the shards this replica holds by lease. */
  leases?: ShardLeases;
  metrics: Metrics;
  http: HttpServer;
  outbox: Outbox;
  alerts: AlertEngine;
  fleet: Fleet;
  reports: ReportScheduler;
  /** Who may use the HTTP server; `update(config.server)` swaps tokens and users at once (a reload). */
  access: Access;
  reloader: ConfigReloader;
  /** Graceful stop: not ready, stop scheduling, let running sweeps finish (bounded), flush state. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Wiring only: every part is built and tested on its own. What needs nothing comes first (the
 * metrics' counters); each part is made after what it uses; the scrape-time metrics are attached
 * once what they read exists. A sweep's result goes from the scheduler to the alert engine and the
 * own-interval schedules.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, logger } = options;
  const checks = options.checks ?? CHECKS;
  // Before anything can log: every secret in the config is masked wherever it would appear.
  configSecrets(config).forEach(registerSecret);
  const metrics = new Metrics(VERSION, { channels: Object.keys(config.alerts.channels), checks });
  // Replicas: a bot is this process's to sweep, and its rows and alert its to write, while it holds the
  // bot's shard (README, "Deployment: replicas"); one process alone owns every bot.
  let leases: ShardLeases | undefined;
  const owns = (name: string) => (config.store.url ? (leases?.holdsBot(name) ?? false) : true);
  const opened = await openServiceStore(config, {
    owns,
    ...(options.storeFlushMs !== undefined && { bookkeepingIntervalMs: options.storeFlushMs }),
    ...(options.replicaPollMs !== undefined && { pollIntervalMs: options.replicaPollMs }),
    ...(options.leaseMs !== undefined && { claimExpiryMs: options.leaseMs }),
    onError: (err, operation) => {
      logger.error({ err }, operation === "commit" ? "state write failed; will retry" : "reading the shared store failed; will retry");
      metrics.observeStoreError(operation);
    },
  });
  // Wall-clock steps: the history and the alert clocks correct for them (wall-steps.ts).
  const wallSteps = new WallSteps();
  const { store } = opened;
  const history = wallStepHistory(opened.history, wallSteps);
  if (opened.imported) logger.warn({ from: opened.imported.from, to: config.store.path, imported: opened.imported.counts }, "state file of the earlier format imported into the database; the file is kept as *.imported");
  if (opened.readOnly) {
    logger.warn({ path: config.store.path }, "the database cannot be written: serving what it holds, read-only; notifications queued in it are held until it can be written again");
  }
  history.begin(Date.now());
  const maintenance = new HistoryMaintenance({ history, retentionMs: config.store.retention, logger, onError: metrics.observeStoreError, ...(options.heartbeatMs !== undefined && { heartbeatMs: options.heartbeatMs }) });
  const transport = createTransport({ maxSockets: Math.max(64, config.schedule.concurrency * 2) });
  // The owner channel writes as a watched bot: it finds the bot's token at send time (monitor, below).
  const channels = createChannels(config.alerts.channels, channelDeps(config, (name) => monitor.get(name)), options.channels);
  const outbox = new Outbox({ store, channels, logger, onResult: metrics.observeNotification, ...options.outbox });
  outbox.listen(notificationRecorder(history));
  const onSweepError = (name: string, err: unknown) => {
    logger.error({ err, bot: name }, "sweep failed");
    metrics.observeSweepError();
  };
  const testAccount = await createTestAccount(config, logger);
  const monitor = new Monitor({
    telegram: telegramSettings(config),
    checks,
    store,
    transport,
    logger,
    onRequest: metrics.observeRequest,
    onCheck: metrics.observeCheck,
    onRecorded: (status, previous) => recordSweep(history, status, previous),
    ...(testAccount && { testAccount }),
  });
  const maintenanceSchedule = new MaintenanceSchedule(config.alerts.maintenance);
  const engine = new AlertEngine({
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
    maintenance: (at) => maintenanceSchedule.silencesAt(at),
    statuses: () => monitor.statuses(),
    onError: metrics.observeAlertError,
    monitorEvaluationMs: options.monitorEvaluationMs ?? Math.min(config.schedule.interval, 30_000),
    history,
    channels,
    wallSteps,
  });
  // Reports are the monitor's, like its own alert: one replica (the holder of that alert's shard) sends them.
  const reports = new ReportScheduler({ reports: config.reports, runs: opened.reportRuns, history, channels, outbox, failing: () => failingFromStatuses(monitor.statuses()), owns: () => owns("monitor"), publicUrl: config.server.publicUrl || undefined, logger });
  const ownSchedules = new OwnSchedules({
    checks,
    defaults: config.checks,
    sweepConcurrency: config.schedule.concurrency,
    run: (name, check, signal) => monitor.runOwn(name, check, signal),
    onError: onSweepError,
    observeLag: metrics.observeScheduleLag,
  });
  const scheduler = new Scheduler<Sweep>(
    {
      intervalMs: config.schedule.interval,
      concurrency: config.schedule.concurrency,
      onError: onSweepError,
      // A bot joins an own-interval schedule (round-trip) after its first sweep, which the live test needs.
      onSwept: ownedOnly(toListeners([engine, ownSchedules]), owns),
      observeLag: (seconds) => metrics.observeScheduleLag(SWEEP_SCHEDULE, seconds),
    },
    (name, signal) => monitor.sweep(name, { signal }),
  );
  // A replica's per-bot series are the bots it sweeps: summed over replicas, each bot counts once.
  metrics.attach({
    bots: () => (config.store.url ? filter(monitor.bots(), (b) => owns(b.name)) : monitor.bots()),
    statuses: () => (config.store.url ? filter(monitor.statuses(), (s) => owns(s.name)) : monitor.statuses()),
    alertsFiring: () => engine.firing(),
    alertFiring: (name) => Boolean(engine.alertState(name)?.firing),
    silences: () => engine.silences(),
    outboxSize: () => outbox.size,
  });
  // What the service keeps of the config: everything but the bots, which the monitor holds once
  // resolved (10,000 config entries are some 130,000 objects).
  const settings: Config = { ...config, bots: [] };
  const fleet = new Fleet({
    config: settings,
    checks,
    store,
    monitor,
    scheduler,
    ownSchedules,
    alerts: engine,
    ...(config.store.secretKey && { secretBox: new SecretBox(config.store.secretKey) }),
    logger,
    history,
    ...(config.store.url && { owns }),
  });
  fleet.load(config.bots);
  const access = new Access(config.server);
  const { reloader, parts: live } = createReloader({ config, file: options.reloadFrom?.file, load: options.reloadFrom?.load, checks, channelTypes: options.channels, monitor, logger, onResult: (ok) => metrics.observeReload(ok),
    parts: { settings, fleet, scheduler, outbox, engine, reports, maintenance: maintenanceSchedule, channels, access } });
  if (opened.replicated) {
    const shared = opened.replicated;
    shared.store.onRemoteChange((slice, key) => fleet.followRemote(slice, key));
    const held: ShardLeases = new ShardLeases({
      pool: shared.store.pool,
      replica: shared.replica,
      shardCount: config.shard.count,
      ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
      logger,
      onChange: (gained, lost) => {
        metrics.setShardsOwned(held.held().size);
        logger.info({ gained, lost, held: [...held.held()] }, "shards changed hands");
        fleet.rebalance();
        reports.catchUp();
      },
      onError: (err) => {
        logger.error({ err }, "shard lease round failed; will retry");
        metrics.observeStoreError("lease");
      },
    });
    leases = held;
    await held.start();
  }

  let ready = false;
  const http = await startHttpServer({
    host: config.server.host,
    port: options.port ?? config.server.port,
    monitor,
    metrics,
    logger,
    metricsToken: () => access.metricsToken,
    trustProxy: config.server.trustProxy,
    history,
    // Live while starting and stopping; serving, only while sweeps keep starting (two intervals at most).
    live: () => scheduler.isLive || !ready,
    ready: () => ready,
    reload: reloadRoute({ reloader, access, onAuthFailure: () => metrics.observeAuthFailure(), history, flush: () => store.flush() }),
    alerts: { alertState: (name) => engine.alertState(name), failAfter: engine.failAfter, silences: () => engine.silences(), undelivered: () => outbox.undelivered() },
    ...guardedRoutes(access, metrics, { config: settings, fleet, monitor, store, logger, maintenance: maintenanceSchedule, history }),
  });
  scheduler.start();
  ownSchedules.start();
  outbox.start();
  engine.start();
  reports.start();
  maintenance.start();
  wallSteps.start();
  ready = true;
  // The first fleet-wide uptime read of a process compiles its code and fills SQLite's page cache
  // (150–650 ms at 10,000 bots with 90 days of history): done once now, not by the first /status.
  setImmediate(() => {
    history.fleetUptime(Date.now()).catch((err: unknown) => logger.warn({ err }, "history warm-up read failed; the first /status will read it"));
  });
  logger.info(
    { url: http.url, bots: monitor.size, interval: config.schedule.interval, shard: config.shard },
    "secretary-watch is serving",
  );

  let stopping: Promise<void> | undefined;
  const stop = (deadlineMs = 10_000) =>
    (stopping ??= (async () => {
      ready = false;
      engine.stop();
      reports.stop();
      maintenance.stop();
      wallSteps.stop();
      const [sweeps, liveTests] = await Promise.all([scheduler.stop(deadlineMs), ownSchedules.stop(deadlineMs)]);
      // Replicas: what this one swept is written, then its shards are let go, for the others to take at once.
      if (leases) {
        await store.flush({ remembered: true }).catch(() => undefined);
        await leases.stop();
      }
      await testAccount?.close();
      outbox.stop();
      monitor.close();
      await Promise.all(live.channels.map((c) => c.close?.()));
      if (sweeps + liveTests > 0) logger.warn({ cancelled: sweeps + liveTests }, "stopped with sweeps still running at the deadline; they were cancelled and their results are dropped");
      await store.close();
      await http.close();
      transport.close();
      logger.info("secretary-watch stopped");
    })());

  return { url: http.url, monitor, scheduler, store, history, metrics, http, outbox, alerts: engine, fleet, reports, access, reloader, stop, ...(leases && { leases }) };
}
