import type pg from "pg";
import { MIGRATIONS } from "../migrations/index.ts";
import { migratePostgres } from "./migrate.ts";
import { describeUrl, inTransaction } from "./pool.ts";
import { OutboxClaims } from "./outbox-claims.ts";
import { readSlice, type SliceName } from "./state-rows.ts";

/**
 * What a replica starts from: the schema brought up to date, then every shared slice and the feed's
 * position they are as of, in one snapshot, and the notifications its id still holds (a restart under
 * the same id); notifications orphaned by gone replicas are claimed by the store's first round.
 */
export async function loadState(pool: pg.Pool, url: string, replica: string): Promise<{ state: Map<SliceName, Map<string, unknown>>; seen: number }> {
  await migratePostgres(pool, describeUrl(url), MIGRATIONS);
  const loaded = await inTransaction(pool, async (c) => {
    await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const state = new Map<SliceName, Map<string, unknown>>();
    for (const slice of ["bots", "connections", "results", "alerts", "silences"] as const) state.set(slice, await readSlice(c, slice));
    const { rows } = await c.query<{ seen: number | null }>("SELECT MAX(seq) AS seen FROM state_changes");
    return { state, seen: rows[0]?.seen ?? 0 };
  });
  const own = await new OutboxClaims({ pool, replica, expiryMs: 0, held: () => new Map(), arrive: () => undefined }).own();
  loaded.state.set("outbox", new Map(own.map((e) => [e.id, e])));
  return loaded;
}
