import type pg from "pg";
import { FEED_CHANNEL, FEED_LOCK, type FeedSlice } from "./change-feed.ts";
import { upsertSweeps, writeRow, type SliceName } from "./state-rows.ts";

/** The rows one commit writes: by slice, each key's value (undefined: deleted). */
export type Batch = Map<SliceName, Map<string, unknown>>;

/** The rows other replicas follow through the change feed (the outbox is each replica's own). */
const SHARED: ReadonlySet<string> = new Set(["results", "alerts", "silences", "bots", "connections"]);

export interface BatchWrite {
  batch: Batch;
  /** Batched sweep times of results whose verdict held. */
  sweeps: ReadonlyArray<readonly [string, string]>;
  /** A commit that must write even with nothing to write (how a store learns it can write). */
  touched: boolean;
  /** Acknowledged to someone (an admin change, a notification): the commit waits for the WAL's flush. */
  disk: boolean;
  replica: string;
  history: { writeQueued(client: pg.PoolClient): Promise<number> };
}

/**
 * One commit's statements, in the open transaction on `c`: the rows, the sweep times, the history queued
 * with them, then the change feed's rows under its lock (so feed order is commit order) and the NOTIFY
 * that wakes the other replicas. Returns how many history writes it carried.
 */
export async function writeBatch(c: pg.PoolClient, w: BatchWrite): Promise<number> {
  // Last results and alert steps are rebuilt by the next sweep: no need to wait for the WAL's flush.
  if (!w.disk) await c.query("SET LOCAL synchronous_commit = off");
  const feed: [FeedSlice, string][] = [];
  for (const [slice, rows] of w.batch) {
    for (const [key, value] of rows) {
      await writeRow(c, slice, key, value, w.replica);
      if (SHARED.has(slice)) feed.push([slice as FeedSlice, key]);
    }
  }
  await upsertSweeps(c, w.sweeps);
  for (const [bot] of w.sweeps) feed.push(["sweeps", bot]);
  const historyWrites = await w.history.writeQueued(c);
  if (feed.length > 0) {
    await c.query("SELECT pg_advisory_xact_lock($1)", [FEED_LOCK]);
    await c.query(
      "INSERT INTO state_changes (slice, key, replica, at) SELECT s, k, $3, secretary_now_ms() FROM unnest($1::text[], $2::text[]) AS t(s, k)",
      [feed.map(([s]) => s), feed.map(([, k]) => k), w.replica],
    );
    await c.query("SELECT pg_notify($1, $2)", [FEED_CHANNEL, w.replica]);
  }
  if (w.touched) await c.query("SELECT txid_current()"); // fails where the database takes no writes (a standby)
  return historyWrites;
}
