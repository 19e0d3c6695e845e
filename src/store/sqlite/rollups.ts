import { utcDay } from "../../history/spans.ts";
import type { DayCell, Uptime } from "../../history/uptime.ts";
import { firstDayToRollUp, rollDay, type DayRollup } from "../../history/day-rollup.ts";
import { botBar, fleetBars } from "../../history/day-bars.ts";
import { BotNames } from "../../history/fleet-day.ts";
import { fleetUptime } from "../../history/fleet-uptime.ts";
import { readSync } from "../../history/stored-rows.ts";
import type { SqliteDatabase } from "./database.ts";
import type { SqliteHistory } from "./history.ts";
import { SqliteStoredRows } from "./stored-rows.ts";

/**
 * The daily uptime rollups on SQLite (README, "Storage and history"): the computations are the
 * engine-neutral ones of src/history/ (day-rollup.ts, fleet-uptime.ts, day-bars.ts), each run
 * synchronously over SqliteStoredRows; what is SQLite's here is the writing of a rolled-up day, a
 * transaction per day.
 */
export class DailyUptime {
  private readonly db: SqliteDatabase;
  private readonly history: SqliteHistory;
  private readonly names = new BotNames();

  constructor(db: SqliteDatabase, history: SqliteHistory) {
    this.db = db;
    this.history = history;
  }

  /** The last rolled-up day, or undefined. */
  lastDay(): number | undefined {
    return this.rows().lastRolledDay();
  }

  /** Rolls up every day that ended before `now` and is not rolled up yet, a transaction per day. Returns how many. */
  rollUp(now: number, liveRun?: number): number {
    const rows = this.rows(liveRun);
    let day = readSync(firstDayToRollUp(), rows);
    if (day === undefined) return 0;
    let rolled = 0;
    for (; day < utcDay(now); day++, rolled++) {
      const d = day;
      this.db.transaction(() => this.write(readSync(rollDay(this.names, d, now), rows)));
    }
    return rolled;
  }

  private write({ day, rows, newBots, fleet }: DayRollup): void {
    const insert = this.db.statement(
      `INSERT INTO daily_uptime (bot, day, known_ms, up_ms, healthy_ms, worst, start_health, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of rows) insert.run(r.bot, r.day, r.knownMs, r.upMs, r.healthyMs, r.worst, r.startHealth, r.endHealth, r.cumKnownMs, r.cumUpMs, r.cumHealthyMs);
    for (const [id, bot] of newBots) this.db.run("INSERT INTO uptime_bots (id, bot) VALUES (?, ?)", id, bot);
    this.db.run(
      `INSERT INTO fleet_uptime (day, bots, totals, end_health, transitions) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (day) DO UPDATE SET bots = excluded.bots, totals = excluded.totals, end_health = excluded.end_health, transitions = excluded.transitions`,
      day, fleet.bots, fleet.totals, fleet.endHealth, fleet.transitions,
    );
  }

  /** Uptime of every bot over each window ending at `now` (window name → length in ms), exact (history/fleet-uptime.ts). */
  fleet(now: number, windows: Record<string, number>, liveRun?: number): Map<string, Record<string, Uptime>> {
    return readSync(fleetUptime(this.names, now, windows), this.rows(liveRun));
  }

  /** Many bots' bars at once (the page): see history/day-bars.ts. */
  bars(now: number, days: number, bots?: readonly string[], liveRun?: number): Map<string, DayCell[]> {
    return readSync(fleetBars(now, days, bots), this.rows(liveRun));
  }

  /** One bot's bar: a cell per UTC day of the `days` ending today, rolled-up days from rows, the rest exact. */
  bar(bot: string, now: number, days: number, liveRun?: number): DayCell[] {
    return readSync(botBar(bot, now, days), this.rows(liveRun));
  }

  private rows(liveRun?: number): SqliteStoredRows {
    return new SqliteStoredRows(this.db, this.history, liveRun);
  }
}
