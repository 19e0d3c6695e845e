import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import type { Config } from "../config/schema.ts";
import type { History } from "../history/history.ts";
import type { Uptime } from "../history/uptime.ts";
import type { WatchState, WatchStore } from "../watch-state.ts";
import type { HistoryHousekeeping } from "./history-maintenance.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";
import { PostgresStore } from "./postgres/postgres-store.ts";
import { PostgresHistoryStore } from "./postgres/history-store.ts";
import { postgresReportRuns } from "./postgres/report-runs.ts";
import { sqliteReportRuns } from "./sqlite/report-runs.ts";
import type { ReportRuns } from "./report-runs.ts";

/** The history as the service drives it: read, recorded, kept, and this process's run begun. */
export type ServiceHistory = History &
  HistoryHousekeeping & {
    begin(now: number): void;
    /** Ends this process's run at `now` (a clean stop; a forward wall-clock step, history/wall-step-history.ts). */
    end(now: number): void;
    /** Every bot's uptime over the `windowMs` ending at `now` (a report's window). */
    fleetUptimeOver(now: number, windowMs: number): Promise<Map<string, Uptime>>;
  };

export interface ServiceStore {
  store: WatchStore;
  history: ServiceHistory;
  /** The reports' calendar (README, "Reports"). */
  reportRuns: ReportRuns;
  /** The database takes no writes (SQLite on a read-only file): served from what it holds. */
  readOnly: boolean;
  /** What an import of the earlier state file brought in, and from where. */
  imported?: { from: string | undefined; counts: Record<string, number> };
  /** Replicas (store.url): the shared store and this process's replica id. */
  replicated?: { store: PostgresStore<WatchState>; replica: string };
}

export interface ServiceStoreOptions {
  onError(err: Error, operation: "commit" | "sync"): void;
  bookkeepingIntervalMs?: number;
  /** Replicas: whether this replica writes a bot's result and alert rows (it holds the bot's shard). */
  owns(name: string): boolean;
  /** Replicas: how often the change feed is read besides NOTIFY. */
  pollIntervalMs?: number;
  /** Replicas: an outbox claim lapses with its replica's heartbeat after this long (the lease). */
  claimExpiryMs?: number;
}

/** Unique per process, and says where it runs: host, pid (the tests find a replica's shards by it), a nonce. */
export const replicaId = (): string => `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;

/**
 * The service's store (README, "Storage and history"): SQLite at store.path (the embedded default), or
 * the PostgreSQL at store.url that replicas share.
 */
export async function openServiceStore(config: Config, o: ServiceStoreOptions): Promise<ServiceStore> {
  if (config.store.url) {
    const replica = replicaId();
    let history: PostgresHistoryStore | undefined;
    const store = await PostgresStore.open<WatchState>({
      url: config.store.url,
      replica,
      owns: (_slice, key) => o.owns(key),
      history: (pool, requestCommit) => (history = new PostgresHistoryStore(pool, requestCommit, replica)),
      onError: (err, operation) => o.onError(err, operation),
      ...(o.bookkeepingIntervalMs !== undefined && { bookkeepingIntervalMs: o.bookkeepingIntervalMs }),
      ...(o.pollIntervalMs !== undefined && { pollIntervalMs: o.pollIntervalMs }),
      ...(o.claimExpiryMs !== undefined && { claimExpiryMs: o.claimExpiryMs }),
    });
    return { store, history: history!, reportRuns: postgresReportRuns(store.pool), readOnly: false, replicated: { store, replica } };
  }
  const store = await SqliteStore.open<WatchState>({
    path: config.store.path,
    // The earlier release's default state file, imported when the database is new (upgrade with defaults).
    legacyPath: join(dirname(config.store.path), "state.json"),
    ...(o.bookkeepingIntervalMs !== undefined && { bookkeepingIntervalMs: o.bookkeepingIntervalMs }),
    onError: (err) => o.onError(err, "commit"),
  });
  return {
    store,
    history: store.history,
    reportRuns: sqliteReportRuns(store.history.database),
    readOnly: store.history.database.readOnly,
    ...(store.imported && { imported: { from: store.importedFrom, counts: store.imported } }),
  };
}
