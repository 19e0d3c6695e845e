import type { Migration } from "./migration.ts";

/**
 * Equal replicas on one PostgreSQL (README, "Deployment: replicas"). A single SQLite process never writes
 * these; the tables exist there too so both engines keep one schema.
 * - `replicas`: each running replica and the database time of its last heartbeat. Its outbox claims stand
 *   while that heartbeat is fresh; a replica that stops renewing loses them with its leases.
 * - `shard_leases`: who sweeps each of the `shard.count` shards, until when (database time, epoch ms), and
 *   `epoch`, raised whenever the holder changes, so a write from a holder that lost the lease is told apart.
 * - `state_changes`: the change feed. Every write of a shared row (API bots, connection ids, silences, last
 *   results, alert states) appends its slice and key, under one advisory lock, so `seq` order is commit order
 *   and a replica that read up to `seq` N has missed nothing before it. NOTIFY only wakes the readers.
 * - `outbox.claimed_by`: the replica that delivers the entry (claimed row by row, FOR UPDATE SKIP LOCKED).
 * - `monitor_runs.replica`: whose run a row is; the fleet is known while any replica runs.
 */
export const replicas: Migration = {
  version: 5,
  name: "replicas, shard leases and the change feed",
  sqlite: `
    CREATE TABLE replicas (
      id TEXT PRIMARY KEY,
      started_at INTEGER NOT NULL,
      heartbeat_at INTEGER NOT NULL
    );
    CREATE TABLE shard_leases (
      shard INTEGER PRIMARY KEY,
      replica TEXT,
      expires_at INTEGER NOT NULL,
      epoch INTEGER NOT NULL
    );
    CREATE TABLE state_changes (
      seq INTEGER PRIMARY KEY,
      slice TEXT NOT NULL,
      key TEXT NOT NULL,
      replica TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE monitor_runs ADD COLUMN replica TEXT;
  `,
  postgres: `
    CREATE TABLE replicas (
      id TEXT PRIMARY KEY,
      started_at BIGINT NOT NULL,
      heartbeat_at BIGINT NOT NULL
    );
    CREATE TABLE shard_leases (
      shard INTEGER PRIMARY KEY,
      replica TEXT,
      expires_at BIGINT NOT NULL,
      epoch BIGINT NOT NULL
    );
    CREATE TABLE state_changes (
      seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      slice TEXT NOT NULL,
      key TEXT NOT NULL,
      replica TEXT NOT NULL,
      at BIGINT NOT NULL
    );
    CREATE INDEX state_changes_by_time ON state_changes (at);
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    CREATE INDEX outbox_by_claim ON outbox (claimed_by, seq);
    ALTER TABLE monitor_runs ADD COLUMN replica TEXT;
    -- The database's clock in epoch ms: every lease and heartbeat is measured on this one clock.
    CREATE FUNCTION secretary_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE
      AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
  `,
};
