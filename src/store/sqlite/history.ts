import type { CheckStatus, Health } from "../../model.ts";
import { applyAlertEvent, type AlertHistoryEvent, type Incident } from "../../history/incidents.ts";
import type { HealthTransition, MonitorRun } from "../../history/uptime.ts";
import type { AuditEntry, CheckTransition, NotificationAttempt, Page } from "../../history/events.ts";
import { DEFAULT_LIMIT, auditOf, incidentOf, notificationOf, type AuditRow, type IncidentRow, type NotificationRow } from "../../history/list-rows.ts";
import type { BotWindow } from "../../history/stored-rows.ts";
import type { SqliteDatabase } from "./database.ts";

export type { BotWindow };

/**
 * The history repository on SQLite (README, "Storage and history"): appends events as they happen and answers the reads the
 * pages and the API need, each from an index (see migration 001). The monitor's runs are recorded here
 * too: `startRun` at start, `heartbeat` every little while, `stopRun` at a clean stop; the time between a
 * run's last heartbeat and the next start is a gap.
 */
export class SqliteHistory {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /** Runs numbered (`reserveRun`) whose row may not be written yet: their start, for `runs`. */
  private readonly reserved = new Map<number, number>();

  startRun(at: number): number {
    return this.db.transaction(() => this.db.run("INSERT INTO monitor_runs (started_at, heartbeat_at) VALUES (?, ?)", at, at).lastInsertRowid);
  }

  /**
   * Numbers a run starting `at` without writing it (a read, so it works on a disk that takes no writes):
   * its row is written later with `writeRun`, and until then `runs` knows it from memory.
   */
  reserveRun(at: number): number {
    // A run reserved before may not be written yet (a wall-clock step ends one run and begins the next at once).
    const id = Math.max(this.db.get<{ id: number | null }>("SELECT MAX(id) AS id FROM monitor_runs")?.id ?? 0, ...this.reserved.keys()) + 1;
    this.reserved.set(id, at);
    return id;
  }

  /** Writes the reserved run's row (inside the caller's transaction). */
  writeRun(id: number): void {
    const at = this.reserved.get(id);
    if (at === undefined) throw new Error(`monitor run ${id} was not reserved`);
    this.db.run("INSERT INTO monitor_runs (id, started_at, heartbeat_at) VALUES (?, ?, ?)", id, at, at);
  }

  heartbeat(run: number, at: number): void {
    this.db.run("UPDATE monitor_runs SET heartbeat_at = ? WHERE id = ? AND heartbeat_at < ?", at, run, at);
  }

  stopRun(run: number, at: number): void {
    this.db.run("UPDATE monitor_runs SET heartbeat_at = MAX(heartbeat_at, ?), stopped_at = ? WHERE id = ?", at, at, run);
  }

  /** Runs that overlap [from, to). `liveRun` is this process's: it runs until `to`, whatever its last heartbeat. */
  runs(from: number, to: number, liveRun?: number): MonitorRun[] {
    const rows = this.db.all<{ id: number; started_at: number; heartbeat_at: number; stopped_at: number | null }>(
      "SELECT id, started_at, heartbeat_at, stopped_at FROM monitor_runs WHERE heartbeat_at > ? AND started_at < ? ORDER BY started_at",
      from,
      to,
    );
    const live = liveRun === undefined ? undefined : (this.db.get<{ started_at: number }>("SELECT started_at FROM monitor_runs WHERE id = ? AND stopped_at IS NULL", liveRun) ?? this.unwritten(liveRun));
    const runs = rows.filter((r) => r.id !== liveRun).map((r) => ({ startedAt: r.started_at, heartbeatAt: r.heartbeat_at, stoppedAt: r.stopped_at }));
    if (live && live.started_at < to) runs.push({ startedAt: live.started_at, heartbeatAt: to, stoppedAt: null });
    return runs.sort((a, b) => a.startedAt - b.startedAt);
  }

  /** A reserved run whose row is not on disk yet (the disk takes no writes). */
  private unwritten(run: number): { started_at: number } | undefined {
    const at = this.reserved.get(run);
    return at === undefined || this.db.get("SELECT 1 FROM monitor_runs WHERE id = ?", run) ? undefined : { started_at: at };
  }

  recordHealth(bot: string, transition: HealthTransition): void {
    this.db.run("INSERT INTO health_transitions (bot, at, health, message) VALUES (?, ?, ?, ?)", bot, transition.at, transition.health, transition.message ?? null);
  }

  recordCheck(t: CheckTransition): void {
    this.db.run("INSERT INTO check_transitions (bot, check_name, at, status, message) VALUES (?, ?, ?, ?, ?)", t.bot, t.check, t.at, t.status, t.message ?? null);
  }

  /** Appends the event and folds it into its incident (one row per firing, see history/incidents.ts). */
  recordAlert(event: AlertHistoryEvent): Incident {
    return this.db.transaction(() => {
      const incident = applyAlertEvent(this.incident(event), event);
      this.db.run("INSERT INTO alert_events (at, alert_key, incident_id, kind, severity) VALUES (?, ?, ?, ?, ?)", event.at, event.key, incident.id, event.kind, event.severity);
      this.db.run(
        `INSERT INTO incidents (id, bot, start_at, fired_at, end_at, worst, checks, silenced) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET end_at = excluded.end_at, worst = excluded.worst, checks = excluded.checks, silenced = excluded.silenced`,
        incident.id, incident.bot, incident.start, incident.firedAt, incident.end, incident.worst, JSON.stringify(incident.checks), incident.silenced ? 1 : 0,
      );
      return incident;
    });
  }

  recordNotification(n: NotificationAttempt): void {
    this.db.run(
      "INSERT INTO notifications (at, alert_key, incident_id, channel, kind, result, attempts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      n.at, n.alertKey, n.incidentId, n.channel, n.kind, n.result, n.attempts, n.error ?? null,
    );
  }

  /** Admin changes are acknowledged, so their audit line commits to disk with them (call inside their transaction). */
  recordAudit(e: AuditEntry): void {
    this.db.run("INSERT INTO audit_log (at, token_name, address, method, route, bot, summary) VALUES (?, ?, ?, ?, ?, ?, ?)", e.at, e.tokenName, e.address, e.method, e.route, e.bot ?? null, e.summary);
  }

  /** A bot's history over [from, to): its transitions there, the one just before, its checks' changes, the runs. */
  botWindow(bot: string, from: number, to: number, liveRun?: number): BotWindow {
    type Row = { at: number; health: Health; message: string | null };
    const before = this.db.get<Row>("SELECT at, health, message FROM health_transitions WHERE bot = ? AND at < ? ORDER BY at DESC LIMIT 1", bot, from);
    const transitions = this.db.all<Row>("SELECT at, health, message FROM health_transitions WHERE bot = ? AND at >= ? AND at < ? ORDER BY at, id", bot, from, to);
    const first = this.db.get<{ at: number }>("SELECT at FROM health_transitions WHERE bot = ? ORDER BY at LIMIT 1", bot);
    const checks = this.db
      .all<{ check_name: string; at: number; status: CheckStatus; message: string | null }>(
        "SELECT check_name, at, status, message FROM check_transitions WHERE bot = ? AND at >= ? AND at < ? ORDER BY at, id",
        bot, from, to,
      )
      .map((r) => ({ bot, check: r.check_name, at: r.at, status: r.status, message: r.message }));
    return { before: before && { ...before }, transitions: transitions.map((r) => ({ ...r })), checks, firstSeen: first?.at, runs: this.runs(from, to, liveRun) };
  }

  /** Incidents that overlap [from, to), newest first; one bot's when `bot` is given. */
  incidents(options: Page & { bot?: string } = {}): Incident[] {
    const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = DEFAULT_LIMIT } = options;
    const overlap = "start_at < ? AND (end_at IS NULL OR end_at >= ?)";
    const rows = options.bot === undefined
      ? this.db.all<IncidentRow>(`SELECT * FROM incidents WHERE ${overlap} ORDER BY start_at DESC LIMIT ?`, to, from, limit)
      : this.db.all<IncidentRow>(`SELECT * FROM incidents WHERE bot = ? AND ${overlap} ORDER BY start_at DESC LIMIT ?`, options.bot, to, from, limit);
    return rows.map((row) => ({ ...incidentOf(row), notifications: this.notificationsOf(row.id) }));
  }

  /** The bot's open incident (its alert firing now), with its notifications; null when none. */
  openIncident(bot: string): Incident | null {
    const row = this.db.get<IncidentRow>("SELECT * FROM incidents WHERE bot = ? AND end_at IS NULL ORDER BY start_at DESC LIMIT 1", bot);
    return row ? { ...incidentOf(row), notifications: this.notificationsOf(row.id) } : null;
  }

  /** Every open incident, by bot (the newest, should a lost resolution have left an older one open). */
  openIncidents(): Map<string, Incident> {
    const open = new Map<string, Incident>();
    // In the partial index's order (bot, start_at): sorting by start_at alone makes SQLite walk every incident by time.
    for (const row of this.db.all<IncidentRow>("SELECT * FROM incidents WHERE end_at IS NULL ORDER BY bot, start_at")) open.set(row.bot, { ...incidentOf(row), notifications: this.notificationsOf(row.id) });
    return open;
  }

  /** Audit entries in [from, to), newest first. */
  audit(options: Page = {}): AuditEntry[] {
    const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = DEFAULT_LIMIT } = options;
    return this.db
      .all<AuditRow>("SELECT at, token_name, address, method, route, bot, summary FROM audit_log WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?", from, to, limit)
      .map(auditOf);
  }

  /** Notification attempts in [from, to), newest first, filtered by channel and result when given. */
  notifications(options: Page & { channel?: string; result?: string } = {}): NotificationAttempt[] {
    const { from = 0, to = Number.MAX_SAFE_INTEGER, limit = DEFAULT_LIMIT } = options;
    const where = ["at >= ?", "at < ?"];
    const params: (string | number)[] = [from, to];
    for (const column of ["channel", "result"] as const) {
      const value = options[column];
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    return this.db.all<NotificationRow>(`SELECT * FROM notifications WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`, ...params, limit).map(notificationOf);
  }

  private incident(event: AlertHistoryEvent): Incident | undefined {
    const id = applyAlertEvent(undefined, event).id;
    const row = this.db.get<IncidentRow>("SELECT * FROM incidents WHERE id = ?", id);
    return row && { ...incidentOf(row), notifications: [] };
  }

  private notificationsOf(incidentId: string) {
    return this.db
      .all<NotificationRow>("SELECT * FROM notifications WHERE incident_id = ? ORDER BY at, id", incidentId)
      .map((r) => ({ channel: r.channel, kind: r.kind, at: r.at, result: r.result }));
  }
}
