import { Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import { CHECK_STATUSES, type CheckedBot, type CheckResult } from "../check-model.ts";
import type { CodeLabel } from "../telegram/errors.ts";
import type { AlertKind } from "../alerts/types.ts";
import type { DeliveryResult } from "../alerts/outbox.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import { SWEEP_METHODS } from "../runner/sweep-telegram.ts";
import { FleetRegistry } from "./derived-gauge.ts";
import { registerScrapeFamilies, type MetricsSource } from "./scrape-families.ts";

/** The realm of the basic auth (basic-auth.ts BASIC_CHALLENGE), the one value of secretary_http_auth_failures_total{realm}. */
const BASIC_REALM = "secretary-watch";

/** What the store does that can fail (secretary_store_errors_total). */
export const STORE_OPERATIONS = ["commit", "rollup", "prune", "sync", "lease"] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

export type { MetricsSource } from "./scrape-families.ts";

/** What the service knows before anything happens: its counters' series start at 0 for these. */
export interface KnownLabels {
  /** Configured alert channels. */
  channels?: readonly string[];
  /** The registered checks: their runs' series, and the metrics each declares for itself. */
  checks?: CheckRegistry;
}

/** Where a schedule's lag is counted: the sweeps', or an own-interval check's (its id). */
export const SWEEP_SCHEDULE = "sweep";

/** Complete by construction: a new code label, kind or result that is not listed here does not compile. */
const CODES: Record<CodeLabel, true> = { "200": true, "400": true, "401": true, "404": true, "429": true, "5xx": true, network: true, timeout: true };
/**
 * "test" is left out: only the `alerts test` command sends those, never the service. "report" too: a report
 * goes only to the channels it names, so its series appear when one is counted, not at 0 for every channel.
 */
const SERVICE_KINDS: Record<Exclude<AlertKind, "test" | "report">, true> = { firing: true, reminder: true, resolved: true };
const RESULTS: Record<DeliveryResult, true> = { sent: true, failed: true, dropped: true };
const keysOf = <K extends string>(record: Record<K, true>) => Object.keys(record) as K[];

/**
 * README "Metrics", on a registry of our own (never prom-client's global one). Labels are bounded: bot
 * names, check ids, states, rights, methods and status codes; never tokens, URLs or free text.
 *
 * Made first, needing nothing: the counters and histograms the other parts report into. What is
 * computed at scrape time from the monitor, the alerts and the outbox is attached once they exist.
 */
export class Metrics {
  readonly registry = new FleetRegistry();
  private readonly checkDuration: Histogram<"check">;
  private readonly checkRuns: Counter<"check" | "status">;
  private readonly requests: Counter<"method" | "code">;
  private readonly requestDuration: Histogram<"method">;
  private readonly notifications: Counter<"channel" | "kind" | "result">;
  /** Per check id, the metrics that check declared for itself (round-trip's latency histogram). */
  private readonly ownMetrics = new Map<string, (bot: CheckedBot, result: CheckResult) => void>();
  private readonly authFailures: Counter;
  private readonly httpAuthFailures: Counter<"realm">;
  private readonly alertErrors: Counter;
  private readonly sweepErrors: Counter;
  private readonly storeErrors: Counter<"operation">;
  private readonly scheduleLag: Histogram<"schedule">;
  private readonly shardsOwned: Gauge;
  private readonly reloadSuccessful: Gauge;
  private readonly reloadSuccessAt: Gauge;

  constructor(version: string, known: KnownLabels = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client also exports these sums of nodejs_active_{handles,requests,resources} as gauges named
    // like counters, which `promtool check metrics` rejects; the per-type gauges carry the same data.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"])
      this.registry.removeSingleMetric(name);
    new Gauge({ name: "secretary_build_info", help: "Build information; always 1.", labelNames: ["version"], registers }).set({ version }, 1);

    this.checkDuration = new Histogram({
      name: "secretary_check_duration_seconds",
      help: "Time one check took, Telegram calls included.",
      labelNames: ["check"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.checkRuns = new Counter({ name: "secretary_check_runs_total", help: "Checks run, by resulting status.", labelNames: ["check", "status"], registers });
    this.requests = new Counter({
      name: "secretary_telegram_requests_total",
      help: "Bot API requests by method and outcome (HTTP code class, network or timeout).",
      labelNames: ["method", "code"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: "secretary_telegram_request_duration_seconds",
      help: "Bot API request latency as seen by the monitor.",
      labelNames: ["method"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    for (const check of known.checks ?? []) {
      const own = check.metrics?.(registers);
      if (own) this.ownMetrics.set(check.id, (bot, result) => own.observe(bot, result, check.optionsFor(bot.checks)));
    }
    this.authFailures = new Counter({
      name: "secretary_admin_auth_failures_total",
      help: "Admin API requests refused for a wrong or missing token.",
      registers,
    });
    this.httpAuthFailures = new Counter({
      name: "secretary_http_auth_failures_total",
      help: "Requests to the page or /status refused for a wrong user or password (server.auth.users).",
      labelNames: ["realm"],
      registers,
    });
    this.httpAuthFailures.inc({ realm: BASIC_REALM }, 0);
    this.alertErrors = new Counter({
      name: "secretary_alert_errors_total",
      help: "Alert steps that failed (the alert is left as it was and retried with the next sweep); each is logged.",
      registers,
    });
    this.sweepErrors = new Counter({ name: "secretary_sweep_errors_total", help: "Sweeps that ended in an error; each is logged.", registers });
    this.storeErrors = new Counter({
      name: "secretary_store_errors_total",
      help: "Store operations that failed (commit: retried every second; rollup, prune: retried at the next midnight or start); each is logged.",
      labelNames: ["operation"],
      registers,
    });
    for (const operation of STORE_OPERATIONS) this.storeErrors.inc({ operation }, 0);
    this.scheduleLag = new Histogram({
      name: "secretary_schedule_lag_seconds",
      help: 'Time from a sweep\'s slot to its start, per schedule (sweep, or an own-interval check\'s id).',
      labelNames: ["schedule"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    // Named as Prometheus names its own (prometheus_config_last_reload_*); a start counts as a successful load.
    this.reloadSuccessful = new Gauge({ name: "secretary_config_last_reload_successful", help: "Whether the last config reload succeeded (1 at start).", registers });
    this.reloadSuccessAt = new Gauge({ name: "secretary_config_last_reload_success_timestamp_seconds", help: "When the config was last loaded successfully (start or reload).", registers });
    this.observeReload(true);
    this.shardsOwned = new Gauge({
      name: "secretary_shards_owned",
      help: "Shards this replica holds by lease and sweeps (replicas on PostgreSQL; 0 in the other forms).",
      registers,
    });
    this.notifications = new Counter({
      name: "secretary_notifications_total",
      help: "Notification delivery attempts by channel, kind and result (failed = will be retried, dropped = given up).",
      labelNames: ["channel", "kind", "result"],
      registers,
    });

    // Series whose label values are known from the start are there from the start, at 0 (Prometheus'
    // instrumentation guidance): increase() sees the first event and dashboards are not empty. Per check
    // and status, per sweep method and code, per channel, kind and result: a few hundred series at most.
    for (const { id: check } of known.checks ?? []) for (const status of CHECK_STATUSES) this.checkRuns.inc({ check, status }, 0);
    for (const method of SWEEP_METHODS) for (const code of keysOf(CODES)) this.requests.inc({ method, code }, 0);
    for (const channel of known.channels ?? [])
      for (const kind of keysOf(SERVICE_KINDS)) for (const result of keysOf(RESULTS)) this.notifications.inc({ channel, kind, result }, 0);
  }

  /** Adds the families computed at scrape time from `source`; once, after the parts it reads exist. */
  attach(source: MetricsSource): this {
    registerScrapeFamilies(this.registry, source);
    return this;
  }

  observeRequest = (method: string, code: CodeLabel, seconds: number): void => {
    this.requests.inc({ method, code });
    this.requestDuration.observe({ method }, seconds);
  };

  observeAuthFailure = (): void => {
    this.authFailures.inc();
  };

  observeHttpAuthFailure = (): void => {
    this.httpAuthFailures.inc({ realm: BASIC_REALM });
  };

  observeAlertError = (): void => {
    this.alertErrors.inc();
  };

  observeStoreError = (operation: StoreOperation): void => {
    this.storeErrors.inc({ operation });
  };

  observeSweepError = (): void => {
    this.sweepErrors.inc();
  };

  observeNotification = (channel: string, kind: string, result: "sent" | "failed" | "dropped"): void => {
    this.notifications.inc({ channel, kind, result });
  };

  observeScheduleLag = (schedule: string, seconds: number): void => {
    this.scheduleLag.observe({ schedule }, seconds);
  };

  /** From the shard leases' onChange: how many shards this replica holds now. */
  observeReload = (successful: boolean, at = Date.now()): void => {
    this.reloadSuccessful.set(successful ? 1 : 0);
    if (successful) this.reloadSuccessAt.set(at / 1000);
  };

  setShardsOwned = (count: number): void => {
    this.shardsOwned.set(count);
  };

  observeCheck = (bot: CheckedBot, result: CheckResult): void => {
    this.checkRuns.inc({ check: result.check, status: result.status });
    this.ownMetrics.get(result.check)?.(bot, result);
    if (result.status !== "skipped") this.checkDuration.observe({ check: result.check }, result.durationMs / 1000);
  };
}
