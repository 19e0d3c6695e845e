import type { AuditEntry, NotificationAttempt, Page } from "../../history/events.ts";
import type { Incident, IncidentNotification } from "../../history/incidents.ts";
import { DEFAULT_LIMIT, auditOf, incidentOf, notificationOf, type AuditRow, type IncidentRow, type NotificationRow } from "../../history/list-rows.ts";
import type { Queryable } from "./stored-rows.ts";

/**
 * The history's lists on PostgreSQL (incidents, the audit log, notification attempts), newest first, in
 * the same order and with the same filters as SQLite's (sqlite/history.ts). An incident's notifications
 * are read for every incident of the answer in one query.
 */

/** Incidents that overlap [from, to), newest first; one bot's when `bot` is given. */
export async function incidents(db: Queryable, options: Page & { bot?: string } = {}): Promise<Incident[]> {
  const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = DEFAULT_LIMIT } = options;
  const overlap = "start_at < $1 AND (end_at IS NULL OR end_at >= $2)";
  const { rows } = options.bot === undefined
    ? await db.query<IncidentRow>(`SELECT * FROM incidents WHERE ${overlap} ORDER BY start_at DESC LIMIT $3`, [to, from, limit])
    : await db.query<IncidentRow>(`SELECT * FROM incidents WHERE bot = $4 AND ${overlap} ORDER BY start_at DESC LIMIT $3`, [to, from, limit, options.bot]);
  return withNotifications(db, rows);
}

/** The bot's open incident (its alert firing now), with its notifications; null when none. */
export async function openIncident(db: Queryable, bot: string): Promise<Incident | null> {
  const { rows } = await db.query<IncidentRow>("SELECT * FROM incidents WHERE bot = $1 AND end_at IS NULL ORDER BY start_at DESC LIMIT 1", [bot]);
  return (await withNotifications(db, rows))[0] ?? null;
}

/** Every open incident, by bot (the newest, should a lost resolution have left an older one open). */
export async function openIncidents(db: Queryable): Promise<Map<string, Incident>> {
  const { rows } = await db.query<IncidentRow>('SELECT * FROM incidents WHERE end_at IS NULL ORDER BY bot COLLATE "C", start_at');
  return new Map((await withNotifications(db, rows)).map((incident) => [incident.bot, incident]));
}

export async function audit(db: Queryable, options: Page = {}): Promise<AuditEntry[]> {
  const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = DEFAULT_LIMIT } = options;
  const { rows } = await db.query<AuditRow>("SELECT at, token_name, address, method, route, bot, summary FROM audit_log WHERE at >= $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3", [from, to, limit]);
  return rows.map(auditOf);
}

/** Notification attempts in [from, to), newest first, filtered by channel and result when given. */
export async function notifications(db: Queryable, options: Page & { channel?: string; result?: string } = {}): Promise<NotificationAttempt[]> {
  const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = DEFAULT_LIMIT } = options;
  const params: (string | number)[] = [from, to, limit];
  const where = ["at >= $1", "at < $2"];
  for (const column of ["channel", "result"] as const) {
    const value = options[column];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  const { rows } = await db.query<NotificationRow>(`SELECT * FROM notifications WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT $3`, params);
  return rows.map(notificationOf);
}

async function withNotifications(db: Queryable, rows: readonly IncidentRow[]): Promise<Incident[]> {
  if (rows.length === 0) return [];
  const sent = await db.query<NotificationRow & { incident_id: string }>("SELECT * FROM notifications WHERE incident_id = ANY($1::text[]) ORDER BY at, id", [rows.map((r) => r.id)]);
  const byIncident = new Map<string, IncidentNotification[]>();
  for (const n of sent.rows) {
    const list = byIncident.get(n.incident_id) ?? byIncident.set(n.incident_id, []).get(n.incident_id)!;
    list.push({ channel: n.channel, kind: n.kind, at: n.at, result: n.result });
  }
  return rows.map((row) => ({ ...incidentOf(row), notifications: byIncident.get(row.id) ?? [] }));
}
