import type pg from "pg";
import { inTransaction } from "./pool.ts";

/**
 * Runs `work` in one read-only REPEATABLE READ transaction: every query sees the same snapshot, so a
 * read of several queries (the fleet's uptime: the last rolled-up day, then that day's totals) never
 * mixes the state before and after a commit. The connection goes back to the pool either way.
 */
export function readSnapshot<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, work, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}
