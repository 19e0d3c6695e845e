import { UPTIME_WINDOWS, type BotHistoryWindow, type HistoryReader, type UptimeWindow, type WindowUptimes } from "../history/history.ts";
import type { Incident, IncidentCheck } from "../history/incidents.ts";
import type { AuditEntry, NotificationAttempt } from "../history/events.ts";
import type { Span } from "../history/spans.ts";
import type { KnownHealth, Uptime } from "../history/uptime.ts";

/**
 * The history as JSON (README, "HTTP endpoints" and "Admin API"): what the store answers in epoch ms,
 * shaped for `/status`, `/status/bots/:name/history`, the admin lists and `history --json`. Times are ISO
 * strings; ratios are numbers from 0 to 1, null when nothing is known (never counted as up). Pure.
 */

/** `{"24h": r, "7d": r, "30d": r, "90d": r}`: the `up` ratio per window. */
export type UptimeWindowsView = Record<UptimeWindow, number | null>;

export interface IncidentView {
  id: string;
  bot: string;
  /** The first failing sweep of the streak that fired. */
  start: string;
  firedAt: string;
  /** When it resolved; null while open. */
  end: string | null;
  worst: Incident["worst"];
  checks: IncidentCheck[];
  notifications: Array<{ channel: string; kind: string; at: string; result: string }>;
  silenced: boolean;
}

export interface SpanView {
  from: string;
  to: string;
}

export interface BotHistoryView {
  bot: string;
  from: string;
  to: string;
  uptime: Uptime;
  health: Array<SpanView & { health: KnownHealth }>;
  incidents: IncidentView[];
  gaps: SpanView[];
}

/** What `/status` adds to each bot; `uptime` null when the history store could not be read. */
export interface BotHistoryFields {
  uptime: UptimeWindowsView | null;
  incident: IncidentView | null;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

const spanView = (s: Span): SpanView => ({ from: iso(s.from), to: iso(s.to) });

/** Every window, null where the bot has no known time (or no history at all). */
export function uptimeWindowsView(uptimes: Partial<WindowUptimes> | undefined): UptimeWindowsView {
  const out = {} as UptimeWindowsView;
  for (const name of Object.keys(UPTIME_WINDOWS) as UptimeWindow[]) out[name] = uptimes?.[name]?.up ?? null;
  return out;
}

export function incidentView(i: Incident): IncidentView {
  return {
    id: i.id,
    bot: i.bot,
    start: iso(i.start),
    firedAt: iso(i.firedAt),
    end: i.end === null ? null : iso(i.end),
    worst: i.worst,
    checks: i.checks.map(({ check, status, message }) => ({ check, status, message })),
    notifications: i.notifications.map(({ channel, kind, at, result }) => ({ channel, kind, at: iso(at), result })),
    silenced: i.silenced,
  };
}

export function botHistoryView(h: BotHistoryWindow): BotHistoryView {
  return {
    bot: h.bot,
    from: iso(h.from),
    to: iso(h.to),
    uptime: { up: h.uptime.up, healthy: h.uptime.healthy, known: h.uptime.known },
    health: h.health.map((s) => ({ ...spanView(s), health: s.health })),
    incidents: h.incidents.map(incidentView),
    gaps: h.gaps.map(spanView),
  };
}

/** An audit line: who (the token's name), from where, which route and bot, what. Never a secret. */
export function auditView(e: AuditEntry) {
  return { at: iso(e.at), tokenName: e.tokenName, address: e.address, method: e.method, route: e.route, bot: e.bot ?? null, summary: e.summary };
}

export function notificationView(n: NotificationAttempt) {
  return { at: iso(n.at), alert: n.alertKey, incidentId: n.incidentId, channel: n.channel, kind: n.kind, result: n.result, attempts: n.attempts, error: n.error ?? null };
}

/**
 * The history fields of every bot of a view, from one fleet read of each kind (not one read per bot:
 * `/status` of 10,000 bots is two queries' worth, not 20,000), both asked at once.
 */
export async function fleetHistoryFields(history: Pick<HistoryReader, "fleetUptime" | "openIncidents">, now: number): Promise<(bot: string) => BotHistoryFields> {
  const [uptimes, open] = await Promise.all([history.fleetUptime(now), history.openIncidents()]);
  return (bot) => {
    const incident = open.get(bot);
    return { uptime: uptimeWindowsView(uptimes.get(bot)), incident: incident ? incidentView(incident) : null };
  };
}

/** One bot's history fields (`/status/bots/:name`). */
export async function botHistoryFields(history: Pick<HistoryReader, "botUptime" | "openIncident">, bot: string, now: number): Promise<BotHistoryFields> {
  const [uptimes, incident] = await Promise.all([history.botUptime(bot, now), history.openIncident(bot)]);
  return { uptime: uptimeWindowsView(uptimes), incident: incident ? incidentView(incident) : null };
}

/** A bot's history fields when the store could not be read: both null, so the fields are there but say nothing. */
export const UNREAD_HISTORY_FIELDS: BotHistoryFields = { uptime: null, incident: null };
