import { armTimer } from "../../clock.ts";
import type { StateRepositories, StateShapes } from "../repositories.ts";
import type { StateData } from "../state-file.ts";
import type { SqliteDatabase } from "./database.ts";
import { MemoryList, MemoryTable } from "../memory-slices.ts";
import { CommitLedger } from "../commit-ledger.ts";
import { SweepBatch } from "../sweep-batch.ts";
import { openDatabaseAt } from "./open-database-at.ts";
import { SqliteHistoryStore } from "./history-store.ts";
import { writeSliceRow, type SliceName } from "./slice-writes.ts";
import { readState } from "./state-rows.ts";
import { upsertSweep } from "./sweep-rows.ts";
import { remembering, rowFingerprint } from "./verdict.ts";

export interface SqliteStoreOptions {
  /** The database file (store.path); a JSON state file of the earlier format found there is imported. */
  path: string;
  /** Where the earlier release kept its state by default: imported from there when `path` has no database yet. */
  legacyPath?: string;
  /** How often batched bookkeeping (last-sweep times of results whose verdict held) is written. */
  bookkeepingIntervalMs?: number;
  /** How soon a failed commit is tried again. */
  retryIntervalMs?: number;
  onError?: (err: Error) => void;
}

/** Slices someone waits on: their commits are fsynced (`durability: "disk"`). */
const ACKNOWLEDGED: ReadonlySet<SliceName> = new Set(["outbox", "silences", "bots", "connections"]);
const SLICES: readonly SliceName[] = ["results", "alerts", "outbox", "silences", "bots", "connections"];

/**
 * The state store on SQLite (README, "Storage and history"): the same repositories as the lowdb store.
 * Everything is loaded at open and every read is served from memory. A change marks its row dirty; the
 * changes of one synchronous step are committed together, in one transaction, right after that step
 * (a microtask), and each write's promise resolves once that commit returned: fsynced when it holds an
 * admin change or an outbox entry. A value put unchanged writes nothing, and a result whose verdict
 * held (verdict.ts) only refreshes memory: their sweep times are written in one batch at most once a
 * minute, one narrow `bot_sweeps` row per bot (migration 002), their verdict rows left as they are.
 * A failed commit (disk full, read-only) leaves the changes dirty in memory, is reported to onError,
 * rejects its writers, and is retried; `writable` is false until a commit succeeds.
 */
export class SqliteStore<S extends StateShapes> implements StateRepositories<S> {
  readonly results: MemoryTable<S["results"]>;
  readonly alerts: MemoryTable<S["alerts"]>;
  readonly outbox: MemoryList<S["outbox"]>;
  readonly silences: MemoryList<S["silences"]>;
  readonly bots: MemoryTable<S["bots"]>;
  readonly connections: MemoryTable<string>;
  /** Commits that succeeded; SQLite does not count bytes (bench/store-writes.ts reads /proc/self/io). */
  readonly stats = { writes: 0, bytes: 0 };
  /** The history (src/history/history.ts): its writes join this store's commits. */
  readonly history: SqliteHistoryStore;
  /** What the earlier state file held, when this open imported one. */
  readonly imported: Record<string, number> | undefined;
  /** The state file it was imported from. */
  importedFrom: string | undefined;

  private readonly db: SqliteDatabase;
  private readonly options: SqliteStoreOptions;
  private readonly dirty = new Map<SliceName, Set<string>>(SLICES.map((s) => [s, new Set<string>()]));
  /** What is on disk of each row, to tell an unchanged put (JSON; verdicts for results). */
  private readonly onDisk = new Map<SliceName, Map<string, string>>(SLICES.map((s) => [s, new Map<string, string>()]));
  /** Results whose bookkeeping alone changed; its `due` batch has only their `bot_sweeps` row written. */
  private readonly sweeps: SweepBatch;
  private readonly ledger = new CommitLedger();
  private scheduled = false;
  private touched = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(db: SqliteDatabase, options: SqliteStoreOptions, imported: Record<string, number> | undefined) {
    this.db = db;
    this.options = options;
    this.imported = imported;
    this.sweeps = new SweepBatch(options.bookkeepingIntervalMs ?? 60_000, () => this.commit());
    this.history = new SqliteHistoryStore(db, () => void this.waitForCommit(false).catch(() => undefined));
    // The database holds what the state file holds: the same slices, typed by the store's shapes.
    const state = readState(db) as unknown as Omit<StateData<S>, "version">;
    this.results = new MemoryTable(state.results, (k) => this.changed("results", k));
    this.alerts = new MemoryTable(state.alerts, (k) => this.changed("alerts", k));
    this.outbox = new MemoryList(state.outbox, (k) => this.changed("outbox", k));
    this.silences = new MemoryList(state.silences, (k) => this.changed("silences", k));
    this.bots = new MemoryTable(state.bots, (k) => this.changed("bots", k));
    this.connections = new MemoryTable(state.connections, (k) => this.changed("connections", k));
    for (const slice of SLICES) for (const [key, value] of this.slice(slice)) this.onDisk.get(slice)!.set(key, this.fingerprint(slice, value));
  }

  /** Opens (creating, migrating or importing into) the database at `options.path` and loads it. */
  static async open<S extends StateShapes>(options: SqliteStoreOptions): Promise<SqliteStore<S>> {
    const { db, imported, importedFrom } = await openDatabaseAt(options.path, options.legacyPath);
    const store = new SqliteStore<S>(db, options, imported);
    store.importedFrom = importedFrom;
    return store;
  }

  mark(): number {
    return this.ledger.mark();
  }

  isOnDisk(mark: number): boolean {
    return this.ledger.isOnDisk(mark);
  }

  get writable(): boolean {
    return this.ledger.writable;
  }

  onWritten(listener: () => void): () => void {
    return this.ledger.onWritten(listener);
  }

  /** Commits a write even when nothing changed (the header's user_version): how the store learns it can write. */
  touch(): Promise<void> {
    this.touched = true;
    return this.waitForCommit(true);
  }

  flush(options: { remembered?: boolean } = {}): Promise<void> {
    if (options.remembered) this.markRemembered();
    if (!this.pending()) return Promise.resolve();
    return this.waitForCommit(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.sweeps.stop();
    this.sweeps.release();
    this.markRemembered(); // the commit below writes them
    this.history.end(Date.now());
    this.commit();
    this.closed = true;
    clearTimeout(this.retryTimer); // a commit that failed just now is not retried on a closed file
    this.db.close();
  }

  /** The rows of bots whose checks remember something are written by the next commit (verdict.ts). */
  private markRemembered(): void {
    for (const bot of remembering(this.slice("results"))) this.dirty.get("results")!.add(bot);
  }

  private slice(name: SliceName): Map<string, unknown> {
    return (this[name] as MemoryTable<unknown> | MemoryList<{ id: string }>).map;
  }

  /**
   * What tells an unchanged put: a digest of what would be written at once (a result's verdict, an alert
   * state but a firing streak's length, any other record whole). A digest, not the text: 10,000 results'
   * verdicts are ~10 MB of strings.
   */
  private fingerprint(slice: SliceName, value: unknown): string {
    return rowFingerprint(slice, value);
  }

  private pending(): boolean {
    return this.touched || this.sweeps.due.size > 0 || this.history.pending().any || SLICES.some((s) => this.dirty.get(s)!.size > 0);
  }

  /** `key` of `slice` changed in memory: a row to write, bookkeeping to batch, or nothing. */
  private changed(slice: SliceName, key: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`database ${this.options.path}: the store is closed`));
    const dirty = this.dirty.get(slice)!;
    const value = this.slice(slice).get(key);
    const disk = this.onDisk.get(slice)!.get(key);
    if (!dirty.has(key) && (value === undefined ? disk === undefined : disk === this.fingerprint(slice, value))) {
      if (slice === "results" && value !== undefined) this.sweeps.add(key);
      return Promise.resolve();
    }
    dirty.add(key);
    this.sweeps.drop(key); // the whole row is written, its sweep time with it
    const committed = this.waitForCommit(false);
    committed.catch(() => undefined); // a writer that does not wait need not catch: onError hears of it
    return committed;
  }

  /** The sweep time of each result in the due batch; one gone since is not written (its delete is dirty). */
  private writeSweeps(): void {
    for (const bot of this.sweeps.due) {
      const result = this.results.get(bot);
      if (result !== undefined && !this.dirty.get("results")!.has(bot)) upsertSweep(this.db, bot, (result as { checkedAt: string }).checkedAt);
    }
  }

  /** A promise for the next commit: at once (`now`), or after this synchronous step. */
  private waitForCommit(now: boolean): Promise<void> {
    const done = this.ledger.next();
    if (now) this.commit();
    else if (!this.scheduled) {
      this.scheduled = true;
      // The rest of this synchronous step joins the commit (an alert's step and the notifications it owes).
      queueMicrotask(() => this.commit());
    }
    return done;
  }

  /** Writes every dirty row in one transaction; fsynced when it holds an acknowledged slice. */
  private commit(): void {
    this.scheduled = false;
    if (this.closed || !this.pending()) return this.ledger.none();
    const commit = this.ledger.begin();
    const disk = this.touched || this.history.pending().disk || SLICES.some((s) => ACKNOWLEDGED.has(s) && this.dirty.get(s)!.size > 0);
    let historyWrites = 0;
    try {
      this.db.transaction(
        () => {
          for (const slice of SLICES) {
            const values = this.slice(slice);
            for (const key of this.dirty.get(slice)!) writeSliceRow(this.db, slice, key, values.get(key));
          }
          this.writeSweeps();
          historyWrites = this.history.writeQueued();
          if (this.touched) this.db.exec(`PRAGMA user_version = ${commit.number % 2 ** 31}`);
        },
        { durability: disk ? "disk" : "process" },
      );
      this.committed();
      this.history.committed(historyWrites);
    } catch (err) {
      return this.failed(err as Error, commit);
    }
    this.ledger.succeeded(commit);
  }

  /** The dirty rows are on disk now: remember what they hold. */
  private committed(): void {
    for (const slice of SLICES) {
      const values = this.slice(slice);
      const disk = this.onDisk.get(slice)!;
      for (const key of this.dirty.get(slice)!) {
        const value = values.get(key);
        if (value === undefined) disk.delete(key);
        else disk.set(key, this.fingerprint(slice, value));
      }
      this.dirty.get(slice)!.clear();
    }
    this.sweeps.due.clear();
    this.touched = false;
    this.stats.writes++;
  }

  private failed(err: Error, commit: Parameters<CommitLedger["rejected"]>[0]): void {
    this.ledger.rejected(commit, err);
    this.options.onError?.(err);
    clearTimeout(this.retryTimer);
    this.retryTimer = armTimer(() => {
      this.retryTimer = undefined;
      this.commit();
    }, this.options.retryIntervalMs ?? 1000);
  }
}
