import type pg from "pg";
import { LONGEST_WINDOW, windowUptimes } from "../../history/bot-uptime.ts";
import { botBar, fleetBars } from "../../history/day-bars.ts";
import type { AuditEntry, CheckTransition, NotificationAttempt, Page } from "../../history/events.ts";
import { BotNames } from "../../history/fleet-day.ts";
import { fleetUptime } from "../../history/fleet-uptime.ts";
import { UPTIME_WINDOWS, type BotHistoryWindow, type History, type WindowUptimes } from "../../history/history.ts";
import type { AlertHistoryEvent, Incident } from "../../history/incidents.ts";
import { ask, readAsync, type Reads } from "../../history/stored-rows.ts";
import { durationsOf, timeline, uptime, type DayCell, type HealthTransition, type Timeline, type Uptime } from "../../history/uptime.ts";
import type { HistoryHousekeeping } from "../history-maintenance.ts";
import { PostgresHousekeeping } from "./history-housekeeping.ts";
import * as lists from "./history-lists.ts";
import { runsReader, type LiveRun } from "./history-runs.ts";
import { appendRows, heartbeatRun, insertRun, recordAlert, stopRun, type AppendedTable } from "./history-writes.ts";
import { readSnapshot } from "./snapshot.ts";
import { PostgresStoredRows, type RunsReader } from "./stored-rows.ts";

/** A history write waiting for the store's next commit: a row appended to a table, or a statement of its own. */
type QueuedWrite = { disk: boolean } & ({ table: AppendedTable; row: readonly unknown[] } | { write(client: pg.PoolClient): Promise<void> });

/**
 * The history on PostgreSQL, as the service sees it (src/history/history.ts), with the same answers as
 * SQLite's for the same events (the computations are src/history/'s, over PostgresStoredRows): writes
 * are queued and joined to the store's next commit (PostgresStore calls `writeQueued` inside its
 * transaction, then `committed`), reads each take one snapshot (REPEATABLE READ) so a rollup committed
 * meanwhile is seen whole or not at all. Replicas share the database: each records its own run of the
 * monitor (`replica`), and the fleet's time is known while any of them runs.
 */
export class PostgresHistoryStore implements History, HistoryHousekeeping {
  private queue: QueuedWrite[] = [];
  private run: LiveRun | undefined;
  private readonly pool: pg.Pool;
  private readonly requestCommit: () => void;
  private readonly replica: string;
  private readonly names = new BotNames();
  private readonly runs: RunsReader = runsReader(() => this.run);
  private readonly housekeeping: PostgresHousekeeping;

  constructor(pool: pg.Pool, requestCommit: () => void, replica: string) {
    this.pool = pool;
    this.requestCommit = requestCommit;
    this.replica = replica;
    this.housekeeping = new PostgresHousekeeping(pool, this.names, this.runs);
  }

  /** Records this replica's start with the next commit; its known time counts from `now` meanwhile. */
  begin(now: number): void {
    const run: LiveRun = { startedAt: now };
    this.run = run;
    this.enqueue({ disk: false, write: async (client) => void (run.id = await insertRun(client, this.replica, now)) });
  }

  /** Writes the heartbeat with the next commit: known time reaches it even if the replica dies after. */
  heartbeat(now: number): void {
    const run = this.run;
    if (run) this.enqueue({ disk: false, write: (client) => heartbeatRun(client, run.id!, now) });
  }

  /** Records a clean stop (the store's close calls it before its last commit). */
  end(now: number): void {
    const run = this.run;
    if (run) this.enqueue({ disk: false, write: (client) => stopRun(client, run.id!, now) });
    this.run = undefined;
  }

  // The log (HistoryLog): every call joins the next commit.
  recordCheck(t: CheckTransition): void {
    this.enqueue({ disk: false, table: "check_transitions", row: [t.bot, t.check, t.at, t.status, t.message ?? null] });
  }

  recordHealth(bot: string, t: HealthTransition): void {
    this.enqueue({ disk: false, table: "health_transitions", row: [bot, t.at, t.health, t.message ?? null] });
  }

  recordAlert(event: AlertHistoryEvent): void {
    this.enqueue({ disk: false, write: (client) => recordAlert(client, event) });
  }

  recordNotification(n: NotificationAttempt): void {
    this.enqueue({ disk: false, table: "notifications", row: [n.at, n.alertKey, n.incidentId, n.channel, n.kind, n.result, n.attempts, n.error ?? null] });
  }

  recordAudit(e: AuditEntry): void {
    this.enqueue({ disk: true, table: "audit_log", row: [e.at, e.tokenName, e.address, e.method, e.route, e.bot ?? null, e.summary] });
  }

  /** True when writes are waiting; `disk` when one of them must be durable before it is acknowledged (the audit log). */
  pending(): { any: boolean; disk: boolean } {
    return { any: this.queue.length > 0, disk: this.queue.some((q) => q.disk) };
  }

  /**
   * Runs the queued writes in the store's open transaction on `client` (no COMMIT, no ROLLBACK here):
   * the statements of their own in the order queued, then each append-only table's rows as one INSERT in
   * the order queued (no write reads another table's appended rows, so only each table's own order
   * counts: a sweep of 10,000 bots is a few statements, not one a row). They stay queued until
   * `committed`: a commit that fails is rolled back and retried with them. Returns how many were written.
   */
  async writeQueued(client: pg.PoolClient): Promise<number> {
    const queued = this.queue.slice();
    const appended = new Map<AppendedTable, (readonly unknown[])[]>();
    for (const q of queued) {
      if ("write" in q) await q.write(client);
      else (appended.get(q.table) ?? appended.set(q.table, []).get(q.table)!).push(q.row);
    }
    for (const [table, rows] of appended) await appendRows(client, table, rows);
    return queued.length;
  }

  /** The first `count` queued writes are committed. */
  committed(count: number): void {
    this.queue = this.queue.slice(count);
  }

  // The housekeeping (store/history-maintenance.ts), under the advisory lock replicas share.
  rollUp(now: number): Promise<number> {
    return this.housekeeping.rollUp(now);
  }

  pruneStep(cut: number, batch: number): Promise<number> {
    return this.housekeeping.pruneStep(cut, batch);
  }

  // The reads (HistoryReader).
  fleetUptime(now: number): Promise<Map<string, WindowUptimes>> {
    return this.read(fleetUptime(this.names, now, UPTIME_WINDOWS)) as Promise<Map<string, WindowUptimes>>;
  }

  /** Every bot's uptime over the `windowMs` ending at `now`, a window of any length (`history --since`). */
  async fleetUptimeOver(now: number, windowMs: number): Promise<Map<string, Uptime>> {
    const out = new Map<string, Uptime>();
    for (const [bot, windows] of await this.read(fleetUptime(this.names, now, { since: windowMs }))) if (windows.since) out.set(bot, windows.since);
    return out;
  }

  /** Every bot's uptime over each of `windows` (name → length in ms) ending at `now`. */
  fleetUptimeWindows(now: number, windows: Record<string, number>): Promise<Map<string, Record<string, Uptime>>> {
    return this.read(fleetUptime(this.names, now, windows));
  }

  async botUptime(bot: string, now: number): Promise<WindowUptimes> {
    return windowUptimes(await this.read(botTimeline(bot, now - LONGEST_WINDOW, now)), now);
  }

  async botHistory(bot: string, from: number, to: number): Promise<BotHistoryWindow> {
    const [line, incidents] = await Promise.all([this.read(botTimeline(bot, from, to)), lists.incidents(this.pool, { bot, from, to, limit: 1000 })]);
    return { bot, from, to, uptime: uptime(durationsOf(line, to - from)), health: line.health, gaps: line.gaps, incidents };
  }

  dailyBar(bot: string, now: number, days: number): Promise<DayCell[]> {
    return this.read(botBar(bot, now, days));
  }

  fleetBars(now: number, days: number, bots?: readonly string[]): Promise<Map<string, DayCell[]>> {
    return this.read(fleetBars(now, days, bots));
  }

  openIncident(bot: string): Promise<Incident | null> {
    return lists.openIncident(this.pool, bot);
  }

  openIncidents(): Promise<Map<string, Incident>> {
    return lists.openIncidents(this.pool);
  }

  incidents(query: Page & { bot?: string }): Promise<Incident[]> {
    return lists.incidents(this.pool, query);
  }

  audit(query: Page): Promise<AuditEntry[]> {
    return lists.audit(this.pool, query);
  }

  notifications(query: Page & { channel?: string; result?: string }): Promise<NotificationAttempt[]> {
    return lists.notifications(this.pool, query);
  }

  private read<T>(reads: Reads<T>): Promise<T> {
    return readSnapshot(this.pool, (client) => readAsync(reads, new PostgresStoredRows(client, this.runs)));
  }

  private enqueue(write: QueuedWrite): void {
    this.queue.push(write);
    this.requestCommit();
  }
}

function* botTimeline(bot: string, from: number, to: number): Reads<Timeline> {
  return timeline({ from, to, ...(yield* ask("botWindow", bot, from, to)) });
}
