import { Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import { CHECK_STATUSES, HEALTHS, type BotStatus, type CheckResult, type MonitoredBot } from "../model.ts";
import type { CodeLabel } from "../telegram/errors.ts";
import { BOTS_PER_SLICE, DerivedGauge, FleetRegistry, labelValue, type Collect } from "./derived-gauge.ts";

/** Date.parse of ISO times, remembering the last one: a sweep's checks mostly start in the same millisecond. */
let lastIso = "";
let lastSeconds = 0;
function unixSeconds(iso: string): number {
  if (iso !== lastIso) {
    lastIso = iso;
    lastSeconds = Date.parse(iso) / 1000;
  }
  return lastSeconds;
}

/** What the metrics read at scrape time. */
export interface MetricsSource {
  /** Every watched bot, swept or not yet. */
  bots(): Iterable<{ name: string; username: string }>;
  /** Last finished sweep per bot. */
  statuses(): Iterable<BotStatus>;
  /** Firing bot alerts by severity. */
  alertsFiring(): Record<"degraded" | "down", number>;
  /** Notifications waiting in the outbox. */
  outboxSize(): number;
}

/**
 * SPEC §5, on a registry of our own (never prom-client's global one). Labels are bounded: bot
 * names, check ids, states, rights, methods and status codes; never tokens, URLs or free text.
 */
export class Metrics {
  readonly registry = new FleetRegistry();
  private readonly checkDuration: Histogram<"check">;
  private readonly checkRuns: Counter<"check" | "status">;
  private readonly requests: Counter<"method" | "code">;
  private readonly requestDuration: Histogram<"method">;
  private readonly notifications: Counter<"channel" | "kind" | "result">;
  private readonly roundTrip: Histogram<"bot" | "mode">;
  private readonly authFailures: Counter;

  constructor(source: MetricsSource, version: string) {
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

    this.roundTrip = new Histogram({
      name: "secretary_roundtrip_duration_seconds",
      help: "Time from the test account's message (or the bot's, outbound) to the answer arriving.",
      labelNames: ["bot", "mode"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers,
    });
    this.authFailures = new Counter({
      name: "secretary_admin_auth_failures_total",
      help: "Admin API requests refused for a wrong or missing token.",
      registers,
    });
    this.notifications = new Counter({
      name: "secretary_notifications_total",
      help: "Notification delivery attempts by channel, kind and result (failed = will be retried, dropped = given up).",
      labelNames: ["channel", "kind", "result"],
      registers,
    });

    const derived = (name: string, help: string, collect: Collect) => new DerivedGauge(name, help, collect, this.registry);

    derived("secretary_bots", "Bots watched by this instance.", (emit) => {
      let n = 0;
      for (const _ of source.bots()) n++;
      emit("", n);
    });
    derived("secretary_alerts_firing", "Firing bot alerts by severity.", (emit) => {
      const firing = source.alertsFiring();
      for (const health of ["degraded", "down"] as const) emit(`{health="${health}"}`, firing[health]);
    });
    derived("secretary_notification_outbox_size", "Notifications queued and not yet delivered.", (emit) => {
      emit("", source.outboxSize());
    });
    // Per bot: label text is built once per bot (and check), each sample is one concatenation.
    derived("secretary_bot_info", "A watched bot and its username; always 1.", function* (emit) {
      let n = 0;
      for (const b of source.bots()) {
        emit(`{bot="${labelValue(b.name)}",username="${labelValue(b.username)}"}`, 1);
        if (++n % BOTS_PER_SLICE === 0) yield;
      }
    });
    derived("secretary_bot_health", "Bot health as a state set: 1 for the current health.", (emit) =>
      eachStatus((s, bot) => {
        for (const health of HEALTHS) emit(`{bot="${bot}",health="${health}"}`, s.health === health ? 1 : 0);
      }),
    );
    derived("secretary_check_state", "Last result of each check as a state set: 1 for the current state.", (emit) =>
      eachStatus((s, bot) => {
        for (const c of s.checks) {
          const prefix = `{bot="${bot}",check="${labelValue(c.check)}",state="`;
          for (const state of CHECK_STATUSES) emit(`${prefix}${state}"}`, c.status === state ? 1 : 0);
        }
      }),
    );
    derived("secretary_check_last_run_timestamp_seconds", "When each check last ran (Unix seconds).", (emit) =>
      eachStatus((s, bot) => {
        for (const c of s.checks) emit(`{bot="${bot}",check="${labelValue(c.check)}"}`, unixSeconds(c.at));
      }),
    );
    derived("secretary_business_connection_enabled", "1 when Telegram reports the business connection enabled.", (emit) =>
      eachStatus((s, bot) => {
        if (s.observed.connectionEnabled !== undefined) emit(`{bot="${bot}"}`, s.observed.connectionEnabled ? 1 : 0);
      }),
    );
    derived("secretary_business_right", "1 when the business connection grants the right.", (emit) =>
      eachStatus((s, bot) => {
        for (const [right, granted] of Object.entries(s.observed.rights ?? {})) emit(`{bot="${bot}",right="${labelValue(right)}"}`, granted ? 1 : 0);
      }),
    );
    derived("secretary_webhook_pending_updates", "Updates waiting at Telegram for the bot's webhook.", (emit) =>
      eachStatus((s, bot) => {
        if (s.observed.webhookPendingUpdates !== undefined) emit(`{bot="${bot}"}`, s.observed.webhookPendingUpdates);
      }),
    );
    derived("secretary_webhook_last_error_timestamp_seconds", "When Telegram last failed to deliver to the webhook (Unix seconds).", (emit) =>
      eachStatus((s, bot) => {
        if (s.observed.webhookLastErrorAt !== undefined) emit(`{bot="${bot}"}`, s.observed.webhookLastErrorAt);
      }),
    );

    /** Calls `fn` for each bot's last status with its escaped name; a slice ends every BOTS_PER_SLICE bots. */
    function* eachStatus(fn: (status: BotStatus, bot: string) => void): Generator<void> {
      let n = 0;
      for (const s of source.statuses()) {
        fn(s, labelValue(s.name));
        if (++n % BOTS_PER_SLICE === 0) yield;
      }
    }
  }

  observeRequest = (method: string, code: CodeLabel, seconds: number): void => {
    this.requests.inc({ method, code });
    this.requestDuration.observe({ method }, seconds);
  };

  observeAuthFailure = (): void => {
    this.authFailures.inc();
  };

  observeNotification = (channel: string, kind: string, result: "sent" | "failed" | "dropped"): void => {
    this.notifications.inc({ channel, kind, result });
  };

  observeCheck = (bot: MonitoredBot, result: CheckResult): void => {
    this.checkRuns.inc({ check: result.check, status: result.status });
    if (result.check === "round-trip" && result.latencyMs !== undefined) {
      const mode = String((bot.checks["round-trip"] as { mode?: string } | undefined)?.mode ?? "reply");
      this.roundTrip.observe({ bot: bot.name, mode }, result.latencyMs / 1000);
    }
    if (result.status !== "skipped") this.checkDuration.observe({ check: result.check }, result.durationMs / 1000);
  };
}
