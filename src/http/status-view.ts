import type { BotStatus, Health } from "../model.ts";
import { fleetStatus, type FleetStatus } from "../health.ts";
import { alertView, nextMaintenanceIndex, silenceIndex, type AlertSource, type AlertView, type NextMaintenanceView, type SilenceView } from "./alert-view.ts";
import type { BotHistoryFields, IncidentView, UptimeWindowsView } from "./history-view.ts";

export type { AlertSource, AlertView, NextMaintenanceView, SilenceView } from "./alert-view.ts";

/**
 * A bot's health on the page and in `/status`: a bot not swept yet is `pending`, which is no verdict
 * at all, so it is no problem either (not counted in the fleet status or as needing attention).
 */
export type ViewHealth = Health | "pending";

/** The `/status` shapes (README "HTTP endpoints"). A bot not swept yet reads `pending` with no checks. */
export interface BotView {
  name: string;
  username: string;
  labels: Record<string, string>;
  health: ViewHealth;
  since: string | null;
  /** Present when the view was built with the alert engine (the service; not a one-shot `check`). */
  alert?: AlertView | null;
  /** A silence or maintenance window mutes the bot's notifications now (whether or not it is failing). */
  silenced?: SilenceView | null;
  /** The bot's next maintenance window, not begun yet (a recurring one's next occurrence). */
  maintenance?: NextMaintenanceView | null;
  /**
   * Present when the view was built with the history (the service): the `up` ratio per window, null with
   * no known time; null itself (and `incident` null) when the history store could not be read.
   */
  uptime?: UptimeWindowsView | null;
  /** The bot's open incident (its alert firing now), or null; present with `uptime`. */
  incident?: IncidentView | null;
  checks: Array<{ check: string; status: string; message?: string; remediation?: string; durationMs: number; at: string; since: string }>;
}

export interface FleetView {
  status: FleetStatus;
  checkedAt: string | null;
  bots: BotView[];
}

export interface ViewBot {
  name: string;
  username: string;
  labels?: Record<string, string>;
}

/** What one view reads of alerting, computed once per view rather than once per bot. */
interface AlertContext {
  source: AlertSource;
  undelivered: ReadonlyMap<string, readonly string[]>;
  silenceOf: ReturnType<typeof silenceIndex>;
  nextMaintenanceOf: ReturnType<typeof nextMaintenanceIndex>;
}

function alertContext(source: AlertSource | undefined, now: Date): AlertContext | undefined {
  if (!source) return undefined;
  const silences = source.silences();
  return { source, undelivered: source.undelivered(), silenceOf: silenceIndex(silences, now), nextMaintenanceOf: nextMaintenanceIndex(silences.maintenance, now) };
}

function view(bot: ViewBot, status: BotStatus | undefined, alerts: AlertContext | undefined): BotView {
  const labels = bot.labels ?? {};
  const alerting = alerts && {
    alert: alertView(bot.name, alerts.source, alerts.undelivered),
    silenced: alerts.silenceOf({ name: bot.name, labels }),
    maintenance: alerts.nextMaintenanceOf({ name: bot.name, labels }),
  };
  if (!status) return { name: bot.name, username: bot.username, labels, health: "pending", since: null, ...alerting, checks: [] };
  return {
    name: bot.name,
    username: bot.username,
    labels,
    health: status.health,
    since: status.since,
    ...alerting,
    checks: status.checks.map(({ check, status, message, remediation, durationMs, at, since }) => ({
      check,
      status,
      ...(message !== undefined && { message }),
      ...(remediation !== undefined && status !== "ok" && { remediation }),
      durationMs,
      at,
      since,
    })),
  };
}

export function botView(bot: ViewBot, status: BotStatus | undefined, alerts?: AlertSource, now = new Date()): BotView {
  return view(bot, status, alertContext(alerts, now));
}

/** Sort key for "worst first"; bots not swept yet come last. */
const SEVERITY: Record<ViewHealth, number> = { down: 0, unknown: 1, degraded: 2, healthy: 3, pending: 4 };

/** Worst first, then by name; the fleet status leaves out bots not swept yet. */
export function fleetView(
  bots: Iterable<ViewBot>,
  statusOf: (name: string) => BotStatus | undefined,
  alerts?: AlertSource,
  now = new Date(),
): FleetView {
  const context = alertContext(alerts, now);
  const views: BotView[] = [];
  let checkedAt: string | null = null;
  for (const bot of bots) {
    const status = statusOf(bot.name);
    if (status && (checkedAt === null || status.checkedAt > checkedAt)) checkedAt = status.checkedAt;
    views.push(view(bot, status, context));
  }
  views.sort((a, b) => SEVERITY[a.health] - SEVERITY[b.health] || a.name.localeCompare(b.name));
  const swept: Health[] = [];
  for (const v of views) if (v.health !== "pending") swept.push(v.health);
  return { status: fleetStatus(swept), checkedAt, bots: views };
}

/** The view with the bot's uptime and open incident, placed before its checks (history-view.ts reads them). */
export function withHistoryFields(view: BotView, fields: BotHistoryFields): BotView {
  const { checks, ...rest } = view;
  return { ...rest, uptime: fields.uptime, incident: fields.incident, checks };
}
