import { CHECK_STATUSES, HEALTHS, type BotStatus } from "../model.ts";
import { isActive, type Silence } from "../alerts/silences.ts";
import { BOTS_PER_SLICE, DerivedGauge, type Collect, type FleetRegistry } from "./derived-gauge.ts";
import { BotLines, keptTail, labelValue, tail } from "./text-format.ts";
import { isoSecondsText } from "./iso-seconds.ts";

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

/**
 * The families computed at scrape time from what `source` reads (README "Metrics"): per-bot gauges
 * from the last results, so a removed bot's series disappear with it, and the fleet's totals.
 */
export function registerScrapeFamilies(registry: FleetRegistry, source: MetricsSource): void {
  const derived = (name: string, help: string, collect: Collect) => new DerivedGauge(name, help, collect, registry);

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
      lines.add(`${labels}${isoSecondsText(c.at)}\n`);
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
  perBot("secretary_webhook_certificate_expiry_timestamp_seconds", "When the webhook endpoint's TLS certificate expires (Unix seconds).", () => source.statuses(), (lines, s) => {
    if (s.observed.webhookCertificateExpiresAt !== undefined) lines.add(tail("", s.observed.webhookCertificateExpiresAt));
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
