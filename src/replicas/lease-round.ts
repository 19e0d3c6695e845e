import type pg from "pg";

/**
 * The SQL of the shard leases (tables `replicas` and `shard_leases`, migration 005), each function one
 * step inside a transaction the caller opens. Every time is epoch ms on the DATABASE clock
 * (`secretary_now_ms()`), read once per transaction, so replicas whose own clocks disagree still agree
 * on when a lease lapses.
 *
 * Two replicas never hold one shard because every change of holder is a conditional UPDATE under the
 * row's lock: a renewal matches only rows still naming this replica, a claim only rows that are free
 * or lapsed, picked `FOR UPDATE SKIP LOCKED` (claimers racing get disjoint rows). Under READ COMMITTED
 * an UPDATE that waited for another transaction's lock re-checks its WHERE against the committed row,
 * so whichever commits first wins and the other's condition then fails.
 */
export interface RoundOptions {
  replica: string;
  shardCount: number;
  leaseMs: number;
}

export interface RoundResult {
  /** The shards this replica holds once the round commits. */
  held: number[];
  /** Replicas whose heartbeat is younger than leaseMs, this one included. */
  live: number;
  /** ceil(shardCount / live): the most shards this replica claims. */
  fairShare: number;
}

async function databaseNow(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ now: number }>("SELECT secretary_now_ms() AS now");
  return rows[0]!.now;
}

/** Registers (or re-registers, after a restart under the same id) the replica, and makes sure shards 0…count-1 have rows. */
export async function registerReplica(client: pg.PoolClient, options: RoundOptions): Promise<void> {
  const now = await databaseNow(client);
  await client.query(
    `INSERT INTO replicas (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
     ON CONFLICT (id) DO UPDATE SET started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at`,
    [options.replica, now],
  );
  // A row that was never held: free, lapsed since the epoch, epoch 0 (the first holder makes it 1).
  await client.query(
    `INSERT INTO shard_leases (shard, replica, expires_at, epoch)
     SELECT s, NULL, 0, 0 FROM generate_series(0, $1::int - 1) AS s ON CONFLICT (shard) DO NOTHING`,
    [options.shardCount],
  );
}

export interface RoundSteps {
  /**
   * Whether to claim free or lapsed shards. The first rounds after the database was unreachable only
   * renew: after an outage every heartbeat is stale, and the first replica back would otherwise count
   * itself alone and claim every shard before the others could renew theirs.
   */
  claim: boolean;
  /** Called before a release is written, so that the caller stops counting on the shard before another replica can take it. */
  beforeRelease: (shard: number) => void;
}

/**
 * One renewal round: heartbeat; renew every lease this replica still holds (one that lapsed while
 * nobody took it is re-taken as it was, epoch unchanged: no one else held it in between); then either
 * claim free or lapsed shards up to the fair share, or, holding more than the fair share, release ONE
 * (the highest) so that a new or returning replica gets shards back gradually and a balanced fleet
 * never moves one.
 */
export async function leaseRound(client: pg.PoolClient, options: RoundOptions, steps: RoundSteps): Promise<RoundResult> {
  const { replica, shardCount, leaseMs } = options;
  const now = await databaseNow(client);
  await client.query(
    `INSERT INTO replicas (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
     ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`,
    [replica, now],
  );
  const { rows: liveRows } = await client.query<{ live: number }>("SELECT count(*)::int AS live FROM replicas WHERE heartbeat_at > $1", [now - leaseMs]);
  const live = Math.max(1, liveRows[0]!.live);
  const fairShare = Math.ceil(shardCount / live);

  const { rows: renewed } = await client.query<{ shard: number }>(
    "UPDATE shard_leases SET expires_at = $2 WHERE replica = $1 AND shard < $3 RETURNING shard",
    [replica, now + leaseMs, shardCount],
  );
  const held = renewed.map((r) => r.shard).sort((a, b) => a - b);

  if (held.length > fairShare) {
    const highest = held.pop()!;
    steps.beforeRelease(highest);
    await client.query("UPDATE shard_leases SET replica = NULL, expires_at = $3 WHERE shard = $2 AND replica = $1", [replica, highest, now]);
  } else if (steps.claim && held.length < fairShare) {
    const { rows: claimed } = await client.query<{ shard: number }>(
      `UPDATE shard_leases SET replica = $1, expires_at = $2, epoch = epoch + 1
       WHERE shard IN (
         SELECT shard FROM shard_leases
         WHERE shard < $3 AND (replica IS NULL OR expires_at <= $4)
         ORDER BY shard LIMIT $5 FOR UPDATE SKIP LOCKED
       ) AND (replica IS NULL OR expires_at <= $4)
       RETURNING shard`,
      [replica, now + leaseMs, shardCount, now, fairShare - held.length],
    );
    held.push(...claimed.map((r) => r.shard));
    held.sort((a, b) => a - b);
  }
  return { held, live, fairShare };
}

/** A graceful stop: every lease of the replica lapses now (free for the next round of any other) and its row goes. */
export async function releaseReplica(client: pg.PoolClient, replica: string): Promise<number[]> {
  const now = await databaseNow(client);
  const { rows } = await client.query<{ shard: number }>("UPDATE shard_leases SET replica = NULL, expires_at = $2 WHERE replica = $1 RETURNING shard", [replica, now]);
  await client.query("DELETE FROM replicas WHERE id = $1", [replica]);
  return rows.map((r) => r.shard).sort((a, b) => a - b);
}
