import type pg from "pg";
import type { Health } from "../../model.ts";
import type { AsyncStoredRows, BotWindow, PackedDay } from "../../history/stored-rows.ts";
import type { HealthTransition, KnownHealth, MonitorRun } from "../../history/uptime.ts";

/** A connection or the pool: whatever runs a query. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** The monitor's runs over [from, to) as this replica sees them (history-runs.ts). */
export type RunsReader = (db: Queryable, from: number, to: number) => Promise<MonitorRun[]>;

/**
 * The rows the uptime computations read (history/stored-rows.ts), on PostgreSQL: the same reads as
 * SQLite's, each a query (the same indexes, migrations 001 and 003). Bots are ordered by their bytes
 * (COLLATE "C", SQLite's order), so both engines number them alike; many bots' reads are one query each
 * (`= ANY`, LATERAL), not one a bot.
 */
export class PostgresStoredRows implements AsyncStoredRows {
  private readonly db: Queryable;
  private readonly runsOf: RunsReader;

  constructor(db: Queryable, runs: RunsReader) {
    this.db = db;
    this.runsOf = runs;
  }

  private async arrays<T extends readonly unknown[]>(text: string, values: unknown[] = []): Promise<T[]> {
    const config: pg.QueryArrayConfig = { text, values, rowMode: "array" };
    return (await this.db.query(config)).rows as unknown as T[];
  }

  private async value<T>(text: string, values: unknown[] = []): Promise<T | undefined> {
    return ((await this.arrays<[T | null]>(text, values))[0]?.[0] ?? undefined) as T | undefined;
  }

  lastRolledDay(): Promise<number | undefined> {
    return this.value<number>("SELECT MAX(day) FROM daily_uptime");
  }

  firstTransitionAt(): Promise<number | undefined> {
    return this.value<number>("SELECT MIN(at) FROM health_transitions");
  }

  botNumbers(from: number): Promise<(readonly [number, string])[]> {
    return this.arrays<[number, string]>("SELECT id, bot FROM uptime_bots WHERE id >= $1 ORDER BY id", [from]);
  }

  async packedDay(day: number): Promise<PackedDay | undefined> {
    const [row] = await this.arrays<[number, Uint8Array, Uint8Array]>("SELECT bots, totals, end_health FROM fleet_uptime WHERE day = $1", [day]);
    return row && { bots: row[0], totals: row[1], endHealth: row[2] };
  }

  packedTransitions(day: number): Promise<Uint8Array | undefined> {
    return this.value<Uint8Array>("SELECT transitions FROM fleet_uptime WHERE day = $1", [day]);
  }

  dayTotals(day: number): Promise<(readonly [string, Health | null, number, number, number])[]> {
    return this.arrays("SELECT bot, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms FROM daily_uptime WHERE day = $1", [day]);
  }

  transitions(from: number, to: number): Promise<(readonly [string, number, Health, number])[]> {
    return this.arrays('SELECT bot, at, health, id FROM health_transitions WHERE at >= $1 AND at < $2 ORDER BY at, bot COLLATE "C"', [from, to]);
  }

  lastHealthsBefore(at: number): Promise<(readonly [string, Health])[]> {
    return this.arrays(
      `SELECT t.bot, t.health FROM health_transitions t
       JOIN (SELECT bot, MAX(at) AS at FROM health_transitions WHERE at < $1 GROUP BY bot) last ON t.bot = last.bot AND t.at = last.at
       ORDER BY t.id`,
      [at],
    );
  }

  runs(from: number, to: number): Promise<MonitorRun[]> {
    return this.runsOf(this.db, from, to);
  }

  async botWindow(bot: string, from: number, to: number): Promise<BotWindow> {
    type Row = { at: number; health: Health; message: string | null };
    // One after the other: a connection runs one query at a time (pg deprecates queueing them on it).
    const before = await this.db.query<Row>("SELECT at, health, message FROM health_transitions WHERE bot = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT 1", [bot, from]);
    const transitions = await this.db.query<Row>("SELECT at, health, message FROM health_transitions WHERE bot = $1 AND at >= $2 AND at < $3 ORDER BY at, id", [bot, from, to]);
    const first = await this.value<number>("SELECT at FROM health_transitions WHERE bot = $1 ORDER BY at LIMIT 1", [bot]);
    const checks = await this.arrays<[string, number, string, string | null]>("SELECT check_name, at, status, message FROM check_transitions WHERE bot = $1 AND at >= $2 AND at < $3 ORDER BY at, id", [bot, from, to]);
    const runs = await this.runs(from, to);
    return {
      before: before.rows[0],
      transitions: transitions.rows,
      checks: checks.map(([check, at, status, message]) => ({ bot, check, at, status: status as BotWindow["checks"][number]["status"], message })),
      firstSeen: first,
      runs,
    };
  }

  async botsWithHistory(): Promise<string[]> {
    return (await this.arrays<[string]>('SELECT bot FROM health_transitions GROUP BY bot ORDER BY bot COLLATE "C"')).map(([bot]) => bot);
  }

  dayCells(bots: readonly string[], first: number, last: number): Promise<(readonly [string, number, KnownHealth | null, number, number])[]> {
    return this.arrays("SELECT bot, day, worst, known_ms, up_ms FROM daily_uptime WHERE bot = ANY($1::text[]) AND day >= $2 AND day <= $3", [bots, first, last]);
  }

  transitionsOf(bots: readonly string[], from: number, to: number): Promise<(readonly [string, number, Health])[]> {
    return this.arrays("SELECT bot, at, health FROM health_transitions WHERE bot = ANY($1::text[]) AND at >= $2 AND at < $3 ORDER BY at, id", [bots, from, to]);
  }

  /** One query for all the bots: a probe of health_transitions_by_bot each (LATERAL). */
  async lastTransitionsBefore(bots: readonly string[], at: number): Promise<Map<string, HealthTransition>> {
    const rows = await this.arrays<[string, number, Health]>(
      `SELECT b.bot, t.at, t.health FROM unnest($1::text[]) AS b(bot)
       CROSS JOIN LATERAL (SELECT at, health FROM health_transitions WHERE bot = b.bot AND at < $2 ORDER BY at DESC, id DESC LIMIT 1) t`,
      [bots, at],
    );
    return new Map(rows.map(([bot, when, health]) => [bot, { at: when, health }]));
  }
}
