import type pg from "pg";
import { firstDayToRollUp, rollDay, type DayRollup } from "../../history/day-rollup.ts";
import type { BotNames } from "../../history/fleet-day.ts";
import { utcDay } from "../../history/spans.ts";
import { readAsync } from "../../history/stored-rows.ts";
import { pruneStatements } from "../retention.ts";
import { inTransaction } from "./pool.ts";
import { PostgresStoredRows, type Queryable, type RunsReader } from "./stored-rows.ts";

/**
 * Any fixed number: the advisory lock of the history's housekeeping. Replicas share one database, so
 * only the one that holds it rolls up or prunes; the others skip (the holder is doing it). Taken per
 * transaction (`pg_try_advisory_xact_lock`): it goes with the transaction's end, also when a replica dies.
 */
export const HOUSEKEEPING_LOCK = 7_355_609;

/**
 * The daily rollup and retention pruning on PostgreSQL (README, "Storage and history"): the rollup is
 * history/day-rollup.ts over PostgresStoredRows, one transaction per day, which under the lock first
 * reads which day is due, so a rollup run twice (or by two replicas one after the other) changes nothing.
 */
export class PostgresHousekeeping {
  private readonly pool: pg.Pool;
  private readonly names: BotNames;
  private readonly runs: RunsReader;

  constructor(pool: pg.Pool, names: BotNames, runs: RunsReader) {
    this.pool = pool;
    this.names = names;
    this.runs = runs;
  }

  /** Rolls up the days that ended before `now`; how many this call rolled up (0 when another replica holds the lock). */
  async rollUp(now: number): Promise<number> {
    let rolled = 0;
    for (;;) {
      const more = await inTransaction(this.pool, async (client) => {
        if (!(await locked(client))) return false;
        const rows = new PostgresStoredRows(client, this.runs);
        const day = await readAsync(firstDayToRollUp(), rows);
        if (day === undefined || day >= utcDay(now)) return false;
        await writeDay(client, await readAsync(rollDay(this.names, day, now), rows));
        return true;
      });
      if (!more) return rolled;
      rolled++;
    }
  }

  /** Deletes up to `batch` rows of each kind older than `cut` (store/retention.ts); 0 when done or when another replica holds the lock. */
  pruneStep(cut: number, batch: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      if (!(await locked(client))) return 0;
      let deleted = 0;
      for (const { sql, params } of pruneStatements(cut, batch, utcDay(cut))) {
        let n = 0;
        deleted += (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rowCount ?? 0;
      }
      return deleted;
    });
  }
}

async function locked(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [HOUSEKEEPING_LOCK]);
  return rows[0]!.locked;
}

/** Writes one rolled-up day: its daily rows, the bots numbered for the first time, its packed row. */
async function writeDay(client: Queryable, { day, rows, newBots, fleet }: DayRollup): Promise<void> {
  const column = <T>(pick: (r: DayRollup["rows"][number]) => T) => rows.map(pick);
  await client.query(
    `INSERT INTO daily_uptime (bot, day, known_ms, up_ms, healthy_ms, worst, start_health, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[])`,
    [
      column((r) => r.bot), column((r) => r.day), column((r) => r.knownMs), column((r) => r.upMs), column((r) => r.healthyMs), column((r) => r.worst),
      column((r) => r.startHealth), column((r) => r.endHealth), column((r) => r.cumKnownMs), column((r) => r.cumUpMs), column((r) => r.cumHealthyMs),
    ],
  );
  if (newBots.length > 0) await client.query("INSERT INTO uptime_bots (id, bot) SELECT * FROM unnest($1::int[], $2::text[])", [newBots.map(([id]) => id), newBots.map(([, bot]) => bot)]);
  await client.query(
    `INSERT INTO fleet_uptime (day, bots, totals, end_health, transitions) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (day) DO UPDATE SET bots = excluded.bots, totals = excluded.totals, end_health = excluded.end_health, transitions = excluded.transitions`,
    [day, fleet.bots, fleet.totals, fleet.endHealth, fleet.transitions],
  );
}
