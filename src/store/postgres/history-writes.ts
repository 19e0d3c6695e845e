import { applyAlertEvent, type AlertHistoryEvent } from "../../history/incidents.ts";
import { incidentOf, type IncidentRow } from "../../history/list-rows.ts";
import type { Queryable } from "./stored-rows.ts";

/**
 * The history's writes on PostgreSQL, made inside the store's commit transaction. The append-only
 * tables take a commit's rows as one INSERT each (unnest of one array per column, in queue order, so
 * the ids keep the order recorded): a first sweep of 10,000 bots is a few statements, not 90,000.
 */
export const APPENDED = {
  health_transitions: { columns: ["bot", "at", "health", "message"], types: ["text", "bigint", "text", "text"] },
  check_transitions: { columns: ["bot", "check_name", "at", "status", "message"], types: ["text", "text", "bigint", "text", "text"] },
  notifications: { columns: ["at", "alert_key", "incident_id", "channel", "kind", "result", "attempts", "error"], types: ["bigint", "text", "text", "text", "text", "text", "integer", "text"] },
  audit_log: { columns: ["at", "token_name", "address", "method", "route", "bot", "summary"], types: ["bigint", "text", "text", "text", "text", "text", "text"] },
} as const;
export type AppendedTable = keyof typeof APPENDED;

/** Appends `rows` (each in the table's column order) to `table`, in their order. */
export async function appendRows(db: Queryable, table: AppendedTable, rows: readonly (readonly unknown[])[]): Promise<void> {
  const { columns, types } = APPENDED[table];
  const arrays = columns.map((_, i) => rows.map((row) => row[i] ?? null));
  const unnest = types.map((type, i) => `$${i + 1}::${type}[]`).join(", ");
  await db.query(
    `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${columns.join(", ")} FROM unnest(${unnest}) WITH ORDINALITY AS r(${columns.join(", ")}, n) ORDER BY n`,
    arrays,
  );
}

/** Appends the alert's event and folds it into its incident (one row per firing, see history/incidents.ts). */
export async function recordAlert(db: Queryable, event: AlertHistoryEvent): Promise<void> {
  const id = applyAlertEvent(undefined, event).id;
  const { rows } = await db.query<IncidentRow>("SELECT * FROM incidents WHERE id = $1", [id]);
  const incident = applyAlertEvent(rows[0] && { ...incidentOf(rows[0]), notifications: [] }, event);
  await db.query("INSERT INTO alert_events (at, alert_key, incident_id, kind, severity) VALUES ($1, $2, $3, $4, $5)", [event.at, event.key, incident.id, event.kind, event.severity]);
  await db.query(
    `INSERT INTO incidents (id, bot, start_at, fired_at, end_at, worst, checks, silenced) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET end_at = excluded.end_at, worst = excluded.worst, checks = excluded.checks, silenced = excluded.silenced`,
    [incident.id, incident.bot, incident.start, incident.firedAt, incident.end, incident.worst, JSON.stringify(incident.checks), incident.silenced],
  );
}

/** The monitor's run rows (migration 005: each with its replica). */
export async function insertRun(db: Queryable, replica: string, at: number): Promise<number> {
  const { rows } = await db.query<{ id: number }>("INSERT INTO monitor_runs (started_at, heartbeat_at, replica) VALUES ($1, $1, $2) RETURNING id", [at, replica]);
  return rows[0]!.id;
}

export async function heartbeatRun(db: Queryable, run: number, at: number): Promise<void> {
  await db.query("UPDATE monitor_runs SET heartbeat_at = $1 WHERE id = $2 AND heartbeat_at < $1", [at, run]);
}

export async function stopRun(db: Queryable, run: number, at: number): Promise<void> {
  await db.query("UPDATE monitor_runs SET heartbeat_at = GREATEST(heartbeat_at, $1), stopped_at = $1 WHERE id = $2", [at, run]);
}
