import type pg from "pg";

/** What the store needs of the history it commits with (PostgresHistoryStore). */
export interface CommittedHistory {
  pending(): { any: boolean; disk: boolean };
  /** Writes what is queued, in the open transaction on `client`. */
  writeQueued(client: pg.PoolClient): Promise<number>;
  /** The transaction holding `count` writes committed. */
  committed(count: number): void;
}

export interface PostgresStoreOptions {
  /** store.url */
  url: string;
  /** This replica's id: its outbox claims, its feed rows, its runs. */
  replica: string;
  /** Connections at most. */
  poolSize?: number;
  bookkeepingIntervalMs?: number;
  retryIntervalMs?: number;
  /** How often other replicas' changes and orphaned notifications are looked for besides NOTIFY (default 2 s). */
  pollIntervalMs?: number;
  /** A replica whose heartbeat is older than this lost its outbox claims (the lease, default 30 s). */
  claimExpiryMs?: number;
  /**
   * Whether this replica writes the row of `key` (a result or an alert state by bot): only the holder of
   * the bot's shard does. A change to a row it does not own stays in memory and is replaced by the owner's.
   */
  owns?: (slice: "results" | "alerts", key: string) => boolean;
  /** The history, made on the store's pool, joined to its commits. */
  history?: (pool: pg.Pool, requestCommit: () => void) => CommittedHistory;
  /** A commit failed (retried), or reading other replicas' changes or a connection did ("sync"). */
  onError?: (err: Error, operation: "commit" | "sync") => void;
}
