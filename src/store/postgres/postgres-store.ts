import type pg from "pg";
import { armTimer } from "../../clock.ts";
import type { StateRepositories, StateShapes } from "../repositories.ts";
import { MemoryList, MemoryTable } from "../memory-slices.ts";
import { CommitLedger } from "../commit-ledger.ts";
import { SweepBatch } from "../sweep-batch.ts";
import { remembering, rowFingerprint } from "../sqlite/verdict.ts";
import { createPool, describeUrl, inTransaction } from "./pool.ts";
import { loadState } from "./load-state.ts";
import type { SliceName } from "./state-rows.ts";
import { ChangeFeed, type FeedChanges, type FeedSlice } from "./change-feed.ts";
import { writeBatch, type Batch } from "./write-batch.ts";
import type { CommittedHistory, PostgresStoreOptions } from "./postgres-store-options.ts";

export type { CommittedHistory, PostgresStoreOptions } from "./postgres-store-options.ts";
import { applyRemoteChanges } from "./remote-rows.ts";
import { OutboxClaims } from "./outbox-claims.ts";

const SLICES: readonly SliceName[] = ["results", "alerts", "outbox", "silences", "bots", "connections"];
const ACKNOWLEDGED: ReadonlySet<SliceName> = new Set(["outbox", "silences", "bots", "connections"]);
const noHistory: CommittedHistory = { pending: () => ({ any: false, disk: false }), writeQueued: async () => 0, committed: () => undefined };

/**
 * The state store on PostgreSQL (README, "Deployment: replicas"): the same repositories and the same
 * memory-first design as SqliteStore, for replicas that share one database. Reads are served from memory;
 * the changes of one synchronous step are committed together, in one transaction (a commit at a time:
 * what changes meanwhile goes into the next). A commit that fails (the server restarting, unreachable)
 * leaves its rows dirty in memory, rejects its writers, is reported and retried, so nothing acknowledged is
 * lost and everything catches up by itself. What other replicas write reaches memory through the change
 * feed; notifications are delivered by the replica that claims them (OutboxClaims).
 */
export class PostgresStore<S extends StateShapes> implements StateRepositories<S> {
  readonly results: MemoryTable<S["results"]>;
  readonly alerts: MemoryTable<S["alerts"]>;
  readonly outbox: MemoryList<S["outbox"]>;
  readonly silences: MemoryList<S["silences"]>;
  readonly bots: MemoryTable<S["bots"]>;
  readonly connections: MemoryTable<string>;
  readonly stats = { writes: 0, bytes: 0 };
  readonly pool: pg.Pool;
  readonly history: CommittedHistory;
  /** The URL with its password masked. */
  readonly where: string;

  private readonly o: PostgresStoreOptions;
  private readonly feed: ChangeFeed;
  private readonly claims: OutboxClaims;
  private readonly dirty = new Map<SliceName, Set<string>>(SLICES.map((s) => [s, new Set<string>()]));
  private readonly onDisk = new Map<SliceName, Map<string, string>>(SLICES.map((s) => [s, new Map<string, string>()]));
  private readonly sweeps: SweepBatch;
  private readonly remote = new Set<(slice: FeedSlice, key: string) => void>();
  private readonly arrived = new Set<() => void>();
  private readonly ledger = new CommitLedger();
  private scheduled = false;
  private committing: Promise<void> | undefined;
  private touched = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(pool: pg.Pool, options: PostgresStoreOptions, state: Map<SliceName, Map<string, unknown>>) {
    this.pool = pool;
    this.o = options;
    this.where = describeUrl(options.url);
    this.sweeps = new SweepBatch(options.bookkeepingIntervalMs ?? 60_000, () => void this.commit().catch(() => undefined));
    this.history = options.history?.(pool, () => void this.waitForCommit().catch(() => undefined)) ?? noHistory;
    const table = <V>(slice: SliceName) => new MemoryTable<V>(Object.fromEntries(state.get(slice) ?? []) as Record<string, V>, (k) => this.changed(slice, k));
    const list = <E extends { id: string }>(slice: SliceName) => new MemoryList<E>([...(state.get(slice)?.values() ?? [])] as E[], (k) => this.changed(slice, k));
    this.results = table("results");
    this.alerts = table("alerts");
    this.outbox = list("outbox");
    this.silences = list("silences");
    this.bots = table("bots");
    this.connections = table("connections");
    for (const slice of SLICES) for (const [key, value] of this.slice(slice)) this.onDisk.get(slice)!.set(key, rowFingerprint(slice, value));
    const { url, replica } = options;
    const apply = (changes: FeedChanges | "reload") => this.applyRemote(changes);
    this.feed = new ChangeFeed({ pool, url, replica, pollIntervalMs: options.pollIntervalMs ?? 2_000, apply, onRound: () => this.claims.round(), onError: (err) => this.reportError(err, "sync") });
    this.claims = new OutboxClaims({
      pool,
      replica,
      expiryMs: options.claimExpiryMs ?? 30_000,
      held: () => this.outbox.map,
      arrive: (entries) => {
        for (const e of entries) {
          this.outbox.map.set(e.id, e as S["outbox"]);
          this.onDisk.get("outbox")!.set(e.id, rowFingerprint("outbox", e));
        }
        for (const listener of this.arrived) listener();
      },
    });
  }

  /** Connects, migrates, loads every shared slice and the notifications orphaned by gone replicas. */
  static async open<S extends StateShapes>(options: PostgresStoreOptions): Promise<PostgresStore<S>> {
    const pool = createPool({ url: options.url, ...(options.poolSize !== undefined && { max: options.poolSize }), onError: (err) => options.onError?.(err, "sync") });
    try {
      const { state, seen } = await loadState(pool, options.url, options.replica);
      const store = new PostgresStore<S>(pool, options, state);
      await store.claims.round();
      store.feed.start(seen);
      return store;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`database ${describeUrl(options.url)}: ${(err as Error).message}`, { cause: err });
    }
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

  /** Calls `listener` after another replica's write of a shared row reached memory. */
  onRemoteChange(listener: (slice: FeedSlice, key: string) => void): () => void {
    this.remote.add(listener);
    return () => this.remote.delete(listener);
  }

  /** Calls `listener` when notifications claimed from a gone replica joined the outbox. */
  onOutboxArrived(listener: () => void): () => void {
    this.arrived.add(listener);
    return () => this.arrived.delete(listener);
  }

  /** Reads other replicas' changes and orphaned notifications now (tests; the feed does it by itself). */
  sync(): Promise<void> {
    return this.feed.poll();
  }

  touch(): Promise<void> {
    this.touched = true;
    return this.waitForCommit();
  }

  flush(options: { remembered?: boolean } = {}): Promise<void> {
    if (options.remembered) for (const bot of remembering(this.slice("results"))) if (this.writes("results", bot)) this.dirty.get("results")!.add(bot);
    if (!this.pending() && !this.committing) return Promise.resolve();
    return this.waitForCommit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.sweeps.stop();
    await this.feed.stop();
    this.sweeps.release();
    await this.flush({ remembered: true }).catch(() => undefined);
    await this.committing;
    if (this.pending()) await this.commit().catch(() => undefined);
    this.closed = true;
    clearTimeout(this.retryTimer);
    // Another replica takes this one's undelivered notifications at once rather than after the expiry.
    await this.claims.release().catch((err: Error) => this.reportError(err, "sync"));
    await this.pool.end();
  }

  private slice(name: SliceName): Map<string, unknown> {
    return (this[name] as MemoryTable<unknown> | MemoryList<{ id: string }>).map;
  }

  private pending(): boolean {
    return this.touched || this.sweeps.due.size > 0 || this.history.pending().any || SLICES.some((s) => this.dirty.get(s)!.size > 0);
  }

  private writes(slice: SliceName, key: string): boolean {
    return !(slice === "results" || slice === "alerts") || (this.o.owns?.(slice, key) ?? true);
  }

  private changed(slice: SliceName, key: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`database ${this.where}: the store is closed`));
    if (!this.writes(slice, key)) return Promise.resolve();
    const dirty = this.dirty.get(slice)!;
    const value = this.slice(slice).get(key);
    const disk = this.onDisk.get(slice)!.get(key);
    if (!dirty.has(key) && (value === undefined ? disk === undefined : disk === rowFingerprint(slice, value))) {
      if (slice === "results" && value !== undefined) this.sweeps.add(key);
      return Promise.resolve();
    }
    dirty.add(key);
    this.sweeps.drop(key);
    const committed = this.waitForCommit();
    committed.catch(() => undefined);
    return committed;
  }

  /** A promise for the commit after this synchronous step (the rest of the step joins it). */
  private waitForCommit(): Promise<void> {
    const done = this.ledger.next();
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => void this.commit().catch(() => undefined));
    }
    return done;
  }

  /** Takes what is dirty now and writes it in one transaction; one commit at a time. */
  private async commit(): Promise<void> {
    this.scheduled = false;
    if (this.committing) {
      // What changed meanwhile goes out when this commit ends (its `finally` starts the next one).
      await this.committing.catch(() => undefined);
      if (this.busy()) return;
    }
    if (this.closed || !this.pending()) return this.ledger.none();
    const work = this.write();
    this.committing = work;
    try {
      await work;
    } finally {
      this.committing = undefined;
      if (this.ledger.waiting > 0 && !this.ledger.failed) void this.commit().catch(() => undefined);
    }
  }

  private busy = (): boolean => this.committing !== undefined;

  private async write(): Promise<void> {
    const commit = this.ledger.begin();
    const batch: Batch = new Map();
    for (const slice of SLICES) {
      const values = this.slice(slice);
      // A row whose bot's shard went to another replica meanwhile is that replica's to write now.
      batch.set(slice, new Map([...this.dirty.get(slice)!].filter((k) => this.writes(slice, k)).map((k) => [k, values.get(k)])));
      this.dirty.get(slice)!.clear();
    }
    const sweeps = [...this.sweeps.due].flatMap((bot) => {
      const r = this.results.get(bot) as { checkedAt: string } | undefined;
      return r && this.writes("results", bot) ? [[bot, r.checkedAt] as const] : [];
    });
    this.sweeps.due.clear();
    const touched = this.touched;
    this.touched = false;
    const disk = touched || this.history.pending().disk || SLICES.some((s) => ACKNOWLEDGED.has(s) && batch.get(s)!.size > 0);
    let historyWrites = 0;
    try {
      await inTransaction(this.pool, async (c) => {
        historyWrites = await writeBatch(c, { batch, sweeps, touched, disk, replica: this.o.replica, history: this.history });
      });
    } catch (err) {
      this.restore(batch, sweeps, touched);
      return this.failed(err as Error, commit);
    }
    for (const [slice, rows] of batch) {
      const onDisk = this.onDisk.get(slice)!;
      for (const [key, value] of rows) {
        if (value === undefined) onDisk.delete(key);
        else onDisk.set(key, rowFingerprint(slice, value));
      }
    }
    this.history.committed(historyWrites);
    this.stats.writes++;
    this.ledger.succeeded(commit);
  }

  /** A failed commit's rows are dirty again (unless changed since, which made them dirty anyway). */
  private restore(batch: Batch, sweeps: ReadonlyArray<readonly [string, string]>, touched: boolean): void {
    for (const [slice, rows] of batch) for (const key of rows.keys()) this.dirty.get(slice)!.add(key);
    for (const [bot] of sweeps) if (!this.dirty.get("results")!.has(bot)) this.sweeps.due.add(bot);
    this.touched ||= touched;
  }

  private failed(err: Error, commit: Parameters<CommitLedger["rejected"]>[0]): void {
    this.ledger.rejected(commit, err);
    this.reportError(err, "commit");
    clearTimeout(this.retryTimer);
    this.retryTimer = armTimer(() => {
      this.retryTimer = undefined;
      void this.commit().catch(() => undefined);
    }, this.o.retryIntervalMs ?? 1000);
  }

  private reportError(err: Error, operation: "commit" | "sync"): void {
    this.o.onError?.(err, operation);
  }

  /** Other replicas' rows into memory (remote-rows.ts); a row with a write of this replica's own pending keeps its own. */
  private applyRemote(changes: FeedChanges | "reload"): Promise<void> {
    return applyRemoteChanges(this.pool, changes, {
      memory: (slice) => this.slice(slice),
      keeps: (slice, key) => this.dirty.get(slice)!.has(key) || (this.o.owns !== undefined && (slice === "results" || slice === "alerts") && this.writes(slice, key)),
      stored: (slice, key, value) => {
        if (value === undefined) this.onDisk.get(slice)!.delete(key);
        else this.onDisk.get(slice)!.set(key, rowFingerprint(slice, value));
        for (const listener of this.remote) listener(slice as FeedSlice, key);
      },
    });
  }
}
