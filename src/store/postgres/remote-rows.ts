import type pg from "pg";
import { withSweep } from "../sqlite/sweep-rows.ts";
import type { FeedChanges, FeedSlice } from "./change-feed.ts";
import { readSlice, type SliceName } from "./state-rows.ts";

/** What applying other replicas' rows needs of the store's memory. */
export interface RemoteTarget {
  /** The slice as memory holds it. */
  memory(slice: SliceName): Map<string, unknown>;
  /** Whether this replica keeps its own value of the row (a write of its own pending, or a row it owns). */
  keeps(slice: SliceName, key: string): boolean;
  /** The row now in memory is what the database holds (`undefined`: deleted); listeners hear of it. */
  stored(slice: SliceName, key: string, value: unknown): void;
}

const SHARED_SLICES = ["bots", "connections", "silences", "results", "alerts"] as const;

/**
 * Reads the rows the change feed named (every shared row on "reload") and puts them in memory: a row gone
 * from the database is gone from memory. A batch of sweep times moves the results' `checkedAt` forward.
 */
export async function applyRemoteChanges(pool: pg.Pool, changes: FeedChanges | "reload", target: RemoteTarget): Promise<void> {
  const keysOf = (slice: FeedSlice): string[] | undefined => (changes === "reload" ? undefined : [...(changes.get(slice) ?? [])]);
  for (const slice of SHARED_SLICES) {
    const keys = keysOf(slice);
    if (keys && keys.length === 0) continue;
    const rows = await readSlice(pool, slice, keys);
    const memory = target.memory(slice);
    for (const key of keys ?? new Set([...memory.keys(), ...rows.keys()])) {
      if (target.keeps(slice, key)) continue;
      const value = rows.get(key);
      if (value === undefined) {
        if (!memory.delete(key)) continue;
      } else memory.set(key, value);
      target.stored(slice, key, value);
    }
  }
  const sweeps = keysOf("sweeps");
  if (sweeps !== undefined && sweeps.length === 0) return;
  const { rows } = sweeps
    ? await pool.query<{ bot: string; checked_at: number }>("SELECT bot, checked_at FROM bot_sweeps WHERE bot = ANY($1)", [sweeps])
    : await pool.query<{ bot: string; checked_at: number }>("SELECT bot, checked_at FROM bot_sweeps");
  const results = target.memory("results");
  for (const r of rows) {
    const current = results.get(r.bot) as { checkedAt: string } | undefined;
    if (current && !target.keeps("results", r.bot)) results.set(r.bot, withSweep(current, r.checked_at));
  }
}
