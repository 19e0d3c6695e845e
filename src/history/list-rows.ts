import type { AuditEntry, NotificationAttempt } from "./events.ts";
import type { Incident, IncidentCheck } from "./incidents.ts";

/**
 * The history's list rows (incidents, notifications, the audit log) as both engines store them
 * (migration 001: the same columns; `silenced` is 0/1 on SQLite, a BOOLEAN on PostgreSQL), and what the
 * readers make of them.
 */

/** Rows a list read returns when the query names no limit. */
export const DEFAULT_LIMIT = 100;

export interface IncidentRow {
  id: string;
  bot: string;
  start_at: number;
  fired_at: number;
  end_at: number | null;
  worst: Incident["worst"];
  checks: string;
  silenced: number | boolean;
}

export const incidentOf = (r: IncidentRow): Omit<Incident, "notifications"> => ({
  id: r.id, bot: r.bot, start: r.start_at, firedAt: r.fired_at, end: r.end_at, worst: r.worst, checks: JSON.parse(r.checks) as IncidentCheck[], silenced: r.silenced === 1 || r.silenced === true,
});

export interface NotificationRow {
  at: number;
  alert_key: string;
  incident_id: string | null;
  channel: string;
  kind: string;
  result: string;
  attempts: number;
  error: string | null;
}

export const notificationOf = (r: NotificationRow): NotificationAttempt => ({
  at: r.at, alertKey: r.alert_key, incidentId: r.incident_id, channel: r.channel, kind: r.kind, result: r.result, attempts: r.attempts, error: r.error,
});

export interface AuditRow {
  at: number;
  token_name: string;
  address: string;
  method: string;
  route: string;
  bot: string | null;
  summary: string;
}

export const auditOf = (r: AuditRow): AuditEntry => ({ at: r.at, tokenName: r.token_name, address: r.address, method: r.method, route: r.route, bot: r.bot, summary: r.summary });
