import type pg from "pg";

/**
 * Runs `work` in one read-only REPEATABLE READ transaction: every query sees the same snapshot, so a
 * read of several queries (the fleet's uptime: the last rolled-up day, then that day's totals) never
 * mixes the state before and after a commit. The connection goes back to the pool either way.
 */
export async function readSnapshot<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => (broken = true));
    throw err;
  } finally {
    client.release(broken);
  }
}
