import type { Health } from "../../model.ts";
import type { BotWindow, PackedDay, StoredRows } from "../../history/stored-rows.ts";
import type { HealthTransition, KnownHealth, MonitorRun } from "../../history/uptime.ts";
import type { SqliteDatabase } from "./database.ts";
import type { SqliteHistory } from "./history.ts";

/**
 * The rows the uptime computations read (history/stored-rows.ts), on SQLite: each read a statement
 * answered synchronously, from the indexes of migrations 001 and 003. `liveRun` is this process's run:
 * it lasts until the end of any span read, whatever its last heartbeat.
 */
export class SqliteStoredRows implements StoredRows {
  private readonly db: SqliteDatabase;
  private readonly history: SqliteHistory;
  private readonly liveRun: number | undefined;

  constructor(db: SqliteDatabase, history: SqliteHistory, liveRun?: number) {
    this.db = db;
    this.history = history;
    this.liveRun = liveRun;
  }

  lastRolledDay(): number | undefined {
    return this.db.get<{ day: number | null }>("SELECT MAX(day) AS day FROM daily_uptime")?.day ?? undefined;
  }

  firstTransitionAt(): number | undefined {
    return this.db.get<{ at: number | null }>("SELECT MIN(at) AS at FROM health_transitions")?.at ?? undefined;
  }

  botNumbers(from: number): (readonly [number, string])[] {
    return this.db.arrays("SELECT id, bot FROM uptime_bots WHERE id >= ? ORDER BY id", from).map(([id, bot]) => [Number(id), bot as string] as const);
  }

  packedDay(day: number): PackedDay | undefined {
    const row = this.db.get<{ bots: number; totals: Uint8Array; end_health: Uint8Array }>("SELECT bots, totals, end_health FROM fleet_uptime WHERE day = ?", day);
    return row && { bots: row.bots, totals: row.totals, endHealth: row.end_health };
  }

  packedTransitions(day: number): Uint8Array | undefined {
    return this.db.get<{ transitions: Uint8Array }>("SELECT transitions FROM fleet_uptime WHERE day = ?", day)?.transitions;
  }

  dayTotals(day: number): (readonly [string, Health | null, number, number, number])[] {
    return this.db
      .arrays("SELECT bot, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms FROM daily_uptime WHERE day = ?", day)
      .map(([bot, end, known, up, healthy]) => [bot as string, end as Health | null, Number(known), Number(up), Number(healthy)] as const);
  }

  /** By health_transitions_by_time, which covers it; the rows go on as node:sqlite gives them (transitionsFrom reads them as numbers). */
  transitions(from: number, to: number): (readonly [string, number, Health, number])[] {
    return this.db.arrays("SELECT bot, at, health, id FROM health_transitions WHERE at >= ? AND at < ? ORDER BY at, bot", from, to) as unknown as (readonly [string, number, Health, number])[];
  }

  lastHealthsBefore(at: number): (readonly [string, Health])[] {
    return this.db.arrays(
      `SELECT t.bot, t.health FROM health_transitions t
       JOIN (SELECT bot, MAX(at) AS at FROM health_transitions WHERE at < ? GROUP BY bot) last ON t.bot = last.bot AND t.at = last.at
       ORDER BY t.id`,
      at,
    ) as unknown as (readonly [string, Health])[];
  }

  runs(from: number, to: number): MonitorRun[] {
    return this.history.runs(from, to, this.liveRun);
  }

  botWindow(bot: string, from: number, to: number): BotWindow {
    return this.history.botWindow(bot, from, to, this.liveRun);
  }

  botsWithHistory(): string[] {
    return this.db.arrays("SELECT DISTINCT bot FROM health_transitions").map(([bot]) => bot as string);
  }

  dayCells(bots: readonly string[], first: number, last: number): (readonly [string, number, KnownHealth | null, number, number])[] {
    return this.db
      .arrays("SELECT bot, day, worst, known_ms, up_ms FROM daily_uptime WHERE bot IN (SELECT value FROM json_each(?)) AND day >= ? AND day <= ?", JSON.stringify(bots), first, last)
      .map(([bot, day, worst, known, up]) => [bot as string, Number(day), worst as KnownHealth | null, Number(known), Number(up)] as const);
  }

  transitionsOf(bots: readonly string[], from: number, to: number): (readonly [string, number, Health])[] {
    return this.db
      .arrays("SELECT bot, at, health FROM health_transitions WHERE bot IN (SELECT value FROM json_each(?)) AND at >= ? AND at < ? ORDER BY at, id", JSON.stringify(bots), from, to)
      .map(([bot, at, health]) => [bot as string, Number(at), health as Health] as const);
  }

  /** A read per bot through health_transitions_by_bot: each a few microseconds on SQLite. */
  lastTransitionsBefore(bots: readonly string[], at: number): Map<string, HealthTransition> {
    const out = new Map<string, HealthTransition>();
    for (const bot of bots) {
      const before = this.db.get<{ at: number; health: Health }>("SELECT at, health FROM health_transitions WHERE bot = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1", bot, at);
      if (before) out.set(bot, before);
    }
    return out;
  }
}
