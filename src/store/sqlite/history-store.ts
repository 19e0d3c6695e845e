import { UPTIME_WINDOWS, type BotHistoryWindow, type History, type WindowUptimes } from "../../history/history.ts";
import type { AlertHistoryEvent, Incident } from "../../history/incidents.ts";
import type { AuditEntry, CheckTransition, NotificationAttempt, Page } from "../../history/events.ts";
import { LONGEST_WINDOW, windowUptimes } from "../../history/bot-uptime.ts";
import { durationsOf, timeline, uptime, type DayCell, type HealthTransition, type Timeline, type Uptime } from "../../history/uptime.ts";
import type { SqliteDatabase } from "./database.ts";
import { SqliteHistory } from "./history.ts";
import type { HistoryHousekeeping } from "../history-maintenance.ts";
import { pruneStep } from "./prune.ts";
import { DailyUptime } from "./rollups.ts";

/** A history write waiting for the store's next commit; `disk` when it must be fsynced (the audit log). */
interface QueuedWrite {
  write(): void;
  disk: boolean;
}

/**
 * The history on SQLite, as the service sees it (src/history/history.ts): writes are queued and joined
 * to the store's next commit (SqliteStore calls `writeQueued` inside its transaction, so an admin change
 * and its audit line reach the disk together, and a sweep's transitions are one transaction with its
 * results); reads go to the tables and the daily rollups. The monitor's own run is this process's
 * (`begin`): its known time lasts until now, whatever its last heartbeat.
 */
export class SqliteHistoryStore implements History, HistoryHousekeeping {
  readonly rows: SqliteHistory;
  readonly rollups: DailyUptime;
  private queue: QueuedWrite[] = [];
  private run: number | undefined;
  private readonly db: SqliteDatabase;
  private readonly requestCommit: () => void;

  constructor(db: SqliteDatabase, requestCommit: () => void) {
    this.db = db;
    this.rows = new SqliteHistory(db);
    this.rollups = new DailyUptime(db, this.rows);
    this.requestCommit = requestCommit;
  }

  /** This process's run of the monitor, once `begin` recorded it. */
  get liveRun(): number | undefined {
    return this.run;
  }

  /**
   * Records this process's start with the next commit, like any history write: a disk that takes no
   * writes (read-only, full) does not stop the monitor from starting, and the run's row reaches the disk
   * with the first commit that succeeds. Its known time counts from `now` meanwhile. Rolling up the days
   * that ended is HistoryMaintenance's (at its start), where a failure is logged and counted.
   */
  begin(now: number): void {
    const run = this.rows.reserveRun(now);
    this.run = run;
    this.enqueue(() => this.rows.writeRun(run), false);
  }

  /** Writes the heartbeat with the next commit: known time reaches it even if the process dies after. */
  heartbeat(now: number): void {
    const run = this.run;
    if (run !== undefined) this.enqueue(() => this.rows.heartbeat(run, now), false);
  }

  /** Records a clean stop (the store's close calls it before its last commit). */
  end(now: number): void {
    const run = this.run;
    if (run !== undefined) this.enqueue(() => this.rows.stopRun(run, now), false);
    this.run = undefined;
  }

  // The log (HistoryLog): every call joins the next commit.
  recordCheck(t: CheckTransition): void {
    this.enqueue(() => this.rows.recordCheck(t), false);
  }

  recordHealth(bot: string, t: HealthTransition): void {
    this.enqueue(() => this.rows.recordHealth(bot, t), false);
  }

  recordAlert(event: AlertHistoryEvent): void {
    this.enqueue(() => void this.rows.recordAlert(event), false);
  }

  recordNotification(attempt: NotificationAttempt): void {
    this.enqueue(() => this.rows.recordNotification(attempt), false);
  }

  recordAudit(entry: AuditEntry): void {
    this.enqueue(() => this.rows.recordAudit(entry), true);
  }

  /** True when writes are waiting; `disk` when one of them must be fsynced. */
  pending(): { any: boolean; disk: boolean } {
    return { any: this.queue.length > 0, disk: this.queue.some((q) => q.disk) };
  }

  /**
   * Runs the queued writes inside the store's transaction. They stay queued until `committed`: a commit
   * that fails (disk full) is rolled back and retried with them.
   */
  writeQueued(): number {
    const count = this.queue.length;
    for (const q of this.queue) q.write();
    return count;
  }

  /** The first `count` queued writes are on disk. */
  committed(count: number): void {
    this.queue = this.queue.slice(count);
  }

  // The reads (HistoryReader). node:sqlite is synchronous: each read runs when it is called and its
  // promise is already settled, so a caller inside a read transaction gets that snapshot's answer.
  async fleetUptime(now: number): Promise<Map<string, WindowUptimes>> {
    return this.rollups.fleet(now, UPTIME_WINDOWS, this.run) as Map<string, WindowUptimes>;
  }

  /** Every bot's uptime over the `windowMs` ending at `now`, a window of any length (`history --since`). */
  async fleetUptimeOver(now: number, windowMs: number): Promise<Map<string, Uptime>> {
    const out = new Map<string, Uptime>();
    for (const [bot, windows] of this.rollups.fleet(now, { since: windowMs }, this.run)) if (windows.since) out.set(bot, windows.since);
    return out;
  }

  /** Every bot's uptime over each of `windows` (name → length in ms) ending at `now`. */
  async fleetUptimeWindows(now: number, windows: Record<string, number>): Promise<Map<string, Record<string, Uptime>>> {
    return this.rollups.fleet(now, windows, this.run);
  }

  async botUptime(bot: string, now: number): Promise<WindowUptimes> {
    return windowUptimes(this.timeline(bot, now - LONGEST_WINDOW, now), now);
  }

  async botHistory(bot: string, from: number, to: number): Promise<BotHistoryWindow> {
    const line = this.timeline(bot, from, to);
    return { bot, from, to, uptime: uptime(durationsOf(line, to - from)), health: line.health, gaps: line.gaps, incidents: this.rows.incidents({ bot, from, to, limit: 1000 }) };
  }

  async dailyBar(bot: string, now: number, days: number): Promise<DayCell[]> {
    return this.rollups.bar(bot, now, days, this.run);
  }

  async fleetBars(now: number, days: number, bots?: readonly string[]): Promise<Map<string, DayCell[]>> {
    return this.rollups.bars(now, days, bots, this.run);
  }

  async openIncident(bot: string): Promise<Incident | null> {
    return this.rows.openIncident(bot);
  }

  async openIncidents(): Promise<Map<string, Incident>> {
    return this.rows.openIncidents();
  }

  async incidents(query: Page & { bot?: string }): Promise<Incident[]> {
    return this.rows.incidents(query);
  }

  async audit(query: Page): Promise<AuditEntry[]> {
    return this.rows.audit(query);
  }

  async notifications(query: Page & { channel?: string; result?: string }): Promise<NotificationAttempt[]> {
    return this.rows.notifications(query);
  }

  private timeline(bot: string, from: number, to: number): Timeline {
    const window = this.rows.botWindow(bot, from, to, this.run);
    return timeline({ from, to, ...window });
  }

  private enqueue(write: () => void, disk: boolean): void {
    this.queue.push({ write, disk });
    this.requestCommit();
  }

  // The housekeeping (store/history-maintenance.ts), each step synchronous.
  rollUp(now: number): number {
    return this.rollups.rollUp(now, this.run);
  }

  pruneStep(cut: number, batch: number): number {
    return pruneStep(this.db, cut, batch);
  }

  /** The database, for maintenance (pruning) that runs its own short transactions. */
  get database(): SqliteDatabase {
    return this.db;
  }
}
