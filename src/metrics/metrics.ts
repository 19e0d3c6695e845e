import { Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import { CHECK_STATUSES, HEALTHS, type BotStatus, type CheckResult, type MonitoredBot } from "../model.ts";
import type { CodeLabel } from "../telegram/errors.ts";
import type { AlertKind } from "../alerts/types.ts";
import type { DeliveryResult } from "../alerts/outbox.ts";
import { isActive, type Silence } from "../alerts/silences.ts";
import { SWEEP_METHODS } from "../runner/sweep-telegram.ts";
import { BOTS_PER_SLICE, DerivedGauge, FleetRegistry, type Collect } from "./derived-gauge.ts";
import { BotLines, keptTail, labelValue, tail } from "./text-format.ts";

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

/**
 * The tails (see BotLines) of a state set's lines, per current state: `oneHotTails("health", HEALTHS)("down")`
 * is `",health="healthy"} 0\n`, … `",health="down"} 1\n`, …; built once per state.
 */
function oneHotTails(label: string, states: readonly string[], before = ""): (current: string) => readonly string[] {
  const table = new Map(states.map((current) => [current, states.map((state) => keptTail(`${before},${label}="${state}"`, state === current ? 1 : 0))]));
  const none = states.map((state) => keptTail(`${before},${label}="${state}"`, 0));
  return (current) => table.get(current) ?? none;
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
  /** True while the bot's alert fires (muted or not). Absent: none does. */
  alertFiring?(name: string): boolean;
  /** Every silence, active or not: config maintenance windows and admin API silences. Absent: none. */
  silences?(): { maintenance: readonly Silence[]; silences: readonly Silence[] };
  now?(): Date;
}

/** What the service knows before anything happens: its counters' series start at 0 for these. */
export interface KnownLabels {
  /** Configured alert channels. */
  channels?: readonly string[];
  /** Check ids. */
  checks?: readonly string[];
}

/** Complete by construction: a new code label, kind or result that is not listed here does not compile. */
const CODES: Record<CodeLabel, true> = { "200": true, "400": true, "401": true, "404": true, "429": true, "5xx": true, network: true, timeout: true };
/** "test" is left out: only the `alerts test` command sends those, never the service. */
const SERVICE_KINDS: Record<Exclude<AlertKind, "test">, true> = { firing: true, reminder: true, resolved: true };
const RESULTS: Record<DeliveryResult, true> = { sent: true, failed: true, dropped: true };
const keysOf = <K extends string>(record: Record<K, true>) => Object.keys(record) as K[];

/**
 * README "Metrics", on a registry of our own (never prom-client's global one). Labels are bounded: bot
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
  private readonly alertErrors: Counter;
  private readonly sweepErrors: Counter;

  constructor(source: MetricsSource, version: string, known: KnownLabels = {}) {
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
    this.alertErrors = new Counter({
      name: "secretary_alert_errors_total",
      help: "Alert steps that failed (the alert is left as it was and retried with the next sweep); each is logged.",
      registers,
    });
    this.sweepErrors = new Counter({ name: "secretary_sweep_errors_total", help: "Sweeps that ended in an error; each is logged.", registers });
    this.notifications = new Counter({
      name: "secretary_notifications_total",
      help: "Notification delivery attempts by channel, kind and result (failed = will be retried, dropped = given up).",
      labelNames: ["channel", "kind", "result"],
      registers,
    });

    // Series whose label values are known from the start are there from the start, at 0 (Prometheus'
    // instrumentation guidance): increase() sees the first event and dashboards are not empty. Per check
    // and status, per sweep method and code, per channel, kind and result: a few hundred series at most.
    for (const check of known.checks ?? []) for (const status of CHECK_STATUSES) this.checkRuns.inc({ check, status }, 0);
    for (const method of SWEEP_METHODS) for (const code of keysOf(CODES)) this.requests.inc({ method, code }, 0);
    for (const channel of known.channels ?? [])
      for (const kind of keysOf(SERVICE_KINDS)) for (const result of keysOf(RESULTS)) this.notifications.inc({ channel, kind, result }, 0);

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
    derived("secretary_silences_active", "Silences (admin API) and maintenance windows (one per bot they name) in force now.", (emit) => {
      const all = source.silences?.() ?? { maintenance: [], silences: [] };
      const at = source.now?.() ?? new Date();
      const active = (list: readonly Silence[]) => list.reduce((n, s) => n + (isActive(s, at) ? 1 : 0), 0);
      emit(`{kind="silence"}`, active(all.silences));
      emit(`{kind="maintenance"}`, active(all.maintenance));
    });
    derived("secretary_notification_outbox_size", "Notifications queued and not yet delivered.", (emit) => {
      emit("", source.outboxSize());
    });
    // Per bot: one string per bot and family (BotLines), mostly from tails built once here.
    perBot("secretary_bot_info", "A watched bot and its username; always 1.", () => source.bots(), (lines, b) => {
      lines.add(tail(`,username="${labelValue(b.username)}"`, 1));
    });
    const firingTails = [keptTail("", 0), keptTail("", 1)] as const;
    perBot("secretary_alert_firing", "1 while the bot's alert fires (silenced or not), else 0.", () => source.bots(), (lines, b) => {
      lines.add(firingTails[source.alertFiring?.(b.name) ? 1 : 0]);
    });
    const healthTails = oneHotTails("health", HEALTHS);
    perBot("secretary_bot_health", "Bot health as a state set: 1 for the current health.", () => source.statuses(), (lines, s) => {
      lines.addAll(healthTails(s.health));
    });
    const stateTails = new Map<string, (state: string) => readonly string[]>();
    perBot("secretary_check_state", "Last result of each check as a state set: 1 for the current state.", () => source.statuses(), (lines, s) => {
      for (const c of s.checks) {
        let tails = stateTails.get(c.check);
        if (!tails) stateTails.set(c.check, (tails = oneHotTails("state", CHECK_STATUSES, `,check="${labelValue(c.check)}"`)));
        lines.addAll(tails(c.status));
      }
    });
    const checkLabels = new Map<string, string>();
    perBot("secretary_check_last_run_timestamp_seconds", "When each check last ran (Unix seconds).", () => source.statuses(), (lines, s) => {
      for (const c of s.checks) {
        let labels = checkLabels.get(c.check);
        if (labels === undefined) checkLabels.set(c.check, (labels = `",check="${labelValue(c.check)}"} `));
        lines.add(`${labels}${unixSeconds(c.at)}\n`);
      }
    });
    const enabledTails = [keptTail("", 0), keptTail("", 1)] as const;
    perBot("secretary_business_connection_enabled", "1 when Telegram reports the business connection enabled.", () => source.statuses(), (lines, s) => {
      if (s.observed.connectionEnabled !== undefined) lines.add(enabledTails[s.observed.connectionEnabled ? 1 : 0]);
    });
    const rightTails = new Map<string, readonly [string, string]>();
    perBot("secretary_business_right", "1 when the business connection grants the right.", () => source.statuses(), (lines, s) => {
      for (const right in s.observed.rights) {
        let tails = rightTails.get(right);
        if (!tails) {
          const labels = `,right="${labelValue(right)}"`;
          tails = [keptTail(labels, 0), keptTail(labels, 1)];
          // Rights are Telegram's fixed list; a map of its size, whatever the fleet.
          if (rightTails.size < 100) rightTails.set(right, tails);
        }
        lines.add(tails[s.observed.rights[right] ? 1 : 0]);
      }
    });
    perBot("secretary_webhook_pending_updates", "Updates waiting at Telegram for the bot's webhook.", () => source.statuses(), (lines, s) => {
      if (s.observed.webhookPendingUpdates !== undefined) lines.add(tail("", s.observed.webhookPendingUpdates));
    });
    perBot("secretary_webhook_last_error_timestamp_seconds", "When Telegram last failed to deliver to the webhook (Unix seconds).", () => source.statuses(), (lines, s) => {
      if (s.observed.webhookLastErrorAt !== undefined) lines.add(tail("", s.observed.webhookLastErrorAt));
    });

    /** A per-bot family: `add` gives each bot's lines (tails, see BotLines); a slice ends every BOTS_PER_SLICE bots. */
    function perBot<B extends { name: string }>(name: string, help: string, bots: () => Iterable<B>, add: (lines: BotLines, bot: B) => void): void {
      derived(name, help, function* (_emit, emitLines) {
        const lines = new BotLines(name);
        let n = 0;
        for (const b of bots()) {
          add(lines, b);
          emitLines(lines.render(labelValue(b.name)));
          if (++n % BOTS_PER_SLICE === 0) yield;
        }
      });
    }
  }

  observeRequest = (method: string, code: CodeLabel, seconds: number): void => {
    this.requests.inc({ method, code });
    this.requestDuration.observe({ method }, seconds);
  };

  observeAuthFailure = (): void => {
    this.authFailures.inc();
  };

  observeAlertError = (): void => {
    this.alertErrors.inc();
  };

  observeSweepError = (): void => {
    this.sweepErrors.inc();
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
