import type pg from "pg";
import { createHash } from "node:crypto";
import { armTimer } from "../../clock.ts";
import type { StateRepositories, StateShapes } from "../repositories.ts";
import { MemoryList, MemoryTable } from "../memory-slices.ts";
import { MIGRATIONS } from "../migrations/index.ts";
import { alertVerdictOf, verdictOf } from "../sqlite/verdict.ts";
import { withSweep } from "../sqlite/sweep-rows.ts";
import { createPool, describeUrl, inTransaction } from "./pool.ts";
import { migratePostgres } from "./migrate.ts";
import { readSlice, upsertSweeps, writeRow, type SliceName } from "./state-rows.ts";
import { ChangeFeed, FEED_CHANNEL, FEED_LOCK, type FeedChanges, type FeedSlice } from "./change-feed.ts";
import { OutboxClaims } from "./outbox-claims.ts";

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

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

type Batch = Map<SliceName, Map<string, unknown>>;
const SLICES: readonly SliceName[] = ["results", "alerts", "outbox", "silences", "bots", "connections"];
const SHARED: ReadonlySet<string> = new Set(["results", "alerts", "silences", "bots", "connections"]);
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
  private readonly bookkeeping = new Set<string>();
  private readonly sweepsDue = new Set<string>();
  private readonly remote = new Set<(slice: FeedSlice, key: string) => void>();
  private readonly arrived = new Set<() => void>();
  private readonly written = new Set<() => void>();
  private waiters: Waiter[] = [];
  private scheduled = false;
  private committing: Promise<void> | undefined;
  private touched = false;
  private started = 0;
  private durable = 0;
  private failing = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private bookkeepingTimer: NodeJS.Timeout | undefined;

  private constructor(pool: pg.Pool, options: PostgresStoreOptions, state: Map<SliceName, Map<string, unknown>>) {
    this.pool = pool;
    this.o = options;
    this.where = describeUrl(options.url);
    this.history = options.history?.(pool, () => void this.waitForCommit().catch(() => undefined)) ?? noHistory;
    const table = <V>(slice: SliceName) => new MemoryTable<V>(Object.fromEntries(state.get(slice) ?? []) as Record<string, V>, (k) => this.changed(slice, k));
    const list = <E extends { id: string }>(slice: SliceName) => new MemoryList<E>([...(state.get(slice)?.values() ?? [])] as E[], (k) => this.changed(slice, k));
    this.results = table("results");
    this.alerts = table("alerts");
    this.outbox = list("outbox");
    this.silences = list("silences");
    this.bots = table("bots");
    this.connections = table("connections");
    for (const slice of SLICES) for (const [key, value] of this.slice(slice)) this.onDisk.get(slice)!.set(key, this.fingerprint(slice, value));
    this.feed = new ChangeFeed({
      pool,
      url: options.url,
      replica: options.replica,
      pollIntervalMs: options.pollIntervalMs ?? 2_000,
      apply: (changes) => this.applyRemote(changes),
      onRound: () => this.claims.round(),
      onError: (err) => this.reportError(err, "sync"),
    });
    this.claims = new OutboxClaims({
      pool,
      replica: options.replica,
      expiryMs: options.claimExpiryMs ?? 30_000,
      held: () => this.outbox.map,
      arrive: (entries) => {
        for (const e of entries) {
          this.outbox.map.set(e.id, e as S["outbox"]);
          this.onDisk.get("outbox")!.set(e.id, this.fingerprint("outbox", e));
        }
        for (const listener of this.arrived) listener();
      },
    });
  }

  /** Connects, migrates, loads every shared slice and the notifications orphaned by gone replicas. */
  static async open<S extends StateShapes>(options: PostgresStoreOptions): Promise<PostgresStore<S>> {
    const pool = createPool({ url: options.url, ...(options.poolSize !== undefined && { max: options.poolSize }), onError: (err) => options.onError?.(err, "sync") });
    try {
      await migratePostgres(pool, describeUrl(options.url), MIGRATIONS);
      // One snapshot: the slices and the feed position they are as of.
      const { state, seen } = await inTransaction(pool, async (c) => {
        await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const state = new Map<SliceName, Map<string, unknown>>();
        for (const slice of ["bots", "connections", "results", "alerts", "silences"] as const) state.set(slice, await readSlice(c, slice));
        const { rows } = await c.query<{ seen: number | null }>("SELECT MAX(seq) AS seen FROM state_changes");
        return { state, seen: rows[0]?.seen ?? 0 };
      });
      const own = await new OutboxClaims({ pool, replica: options.replica, expiryMs: 0, held: () => new Map(), arrive: () => undefined }).own();
      state.set("outbox", new Map(own.map((e) => [e.id, e])));
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
    return this.started;
  }

  isOnDisk(mark: number): boolean {
    return this.durable > mark;
  }

  get writable(): boolean {
    return this.durable > 0 && !this.failing;
  }

  onWritten(listener: () => void): () => void {
    this.written.add(listener);
    return () => this.written.delete(listener);
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

  flush(): Promise<void> {
    if (!this.pending() && !this.committing) return Promise.resolve();
    return this.waitForCommit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    clearTimeout(this.bookkeepingTimer);
    await this.feed.stop();
    this.bookkeepingDue();
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

  private fingerprint(slice: SliceName, value: unknown): string {
    const text = slice === "results" ? verdictOf(value) : slice === "alerts" ? alertVerdictOf(value) : JSON.stringify(value);
    return createHash("sha1").update(text).digest("base64");
  }

  private pending(): boolean {
    return this.touched || this.sweepsDue.size > 0 || this.history.pending().any || SLICES.some((s) => this.dirty.get(s)!.size > 0);
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
    if (!dirty.has(key) && (value === undefined ? disk === undefined : disk === this.fingerprint(slice, value))) {
      if (slice === "results" && value !== undefined) this.batchBookkeeping(key);
      return Promise.resolve();
    }
    dirty.add(key);
    this.bookkeeping.delete(key);
    this.sweepsDue.delete(key);
    const committed = this.waitForCommit();
    committed.catch(() => undefined);
    return committed;
  }

  private batchBookkeeping(key: string): void {
    this.bookkeeping.add(key);
    this.bookkeepingTimer ??= armTimer(() => {
      this.bookkeepingTimer = undefined;
      this.bookkeepingDue();
      void this.commit().catch(() => undefined);
    }, this.o.bookkeepingIntervalMs ?? 60_000);
  }

  private bookkeepingDue(): void {
    for (const bot of this.bookkeeping) this.sweepsDue.add(bot);
    this.bookkeeping.clear();
  }

  /** A promise for the commit after this synchronous step (the rest of the step joins it). */
  private waitForCommit(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
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
    if (this.closed || !this.pending()) return this.settle(this.waiters.splice(0));
    const work = this.write();
    this.committing = work;
    try {
      await work;
    } finally {
      this.committing = undefined;
      if (this.waiters.length > 0 && !this.failing) void this.commit().catch(() => undefined);
    }
  }

  private busy(): boolean {
    return this.committing !== undefined;
  }

  private async write(): Promise<void> {
    const waiters = this.waiters.splice(0);
    const number = ++this.started;
    const batch: Batch = new Map();
    for (const slice of SLICES) {
      const values = this.slice(slice);
      // A row whose bot's shard went to another replica meanwhile is that replica's to write now.
      batch.set(slice, new Map([...this.dirty.get(slice)!].filter((k) => this.writes(slice, k)).map((k) => [k, values.get(k)])));
      this.dirty.get(slice)!.clear();
    }
    const sweeps = [...this.sweepsDue].flatMap((bot) => {
      const r = this.results.get(bot) as { checkedAt: string } | undefined;
      return r && this.writes("results", bot) ? [[bot, r.checkedAt] as const] : [];
    });
    this.sweepsDue.clear();
    const touched = this.touched;
    this.touched = false;
    const disk = touched || this.history.pending().disk || SLICES.some((s) => ACKNOWLEDGED.has(s) && batch.get(s)!.size > 0);
    let historyWrites = 0;
    try {
      await inTransaction(this.pool, async (c) => {
        // Last results and alert steps are rebuilt by the next sweep: no need to wait for the WAL's flush.
        if (!disk) await c.query("SET LOCAL synchronous_commit = off");
        const feed: [FeedSlice, string][] = [];
        for (const [slice, rows] of batch) {
          for (const [key, value] of rows) {
            await writeRow(c, slice, key, value, this.o.replica);
            if (SHARED.has(slice)) feed.push([slice as FeedSlice, key]);
          }
        }
        await upsertSweeps(c, sweeps);
        for (const [bot] of sweeps) feed.push(["sweeps", bot]);
        historyWrites = await this.history.writeQueued(c);
        if (feed.length > 0) {
          await c.query("SELECT pg_advisory_xact_lock($1)", [FEED_LOCK]);
          await c.query(
            "INSERT INTO state_changes (slice, key, replica, at) SELECT s, k, $3, secretary_now_ms() FROM unnest($1::text[], $2::text[]) AS t(s, k)",
            [feed.map(([s]) => s), feed.map(([, k]) => k), this.o.replica],
          );
          await c.query("SELECT pg_notify($1, $2)", [FEED_CHANNEL, this.o.replica]);
        }
        if (touched) await c.query("SELECT txid_current()"); // fails where the database takes no writes (a standby)
      });
    } catch (err) {
      this.restore(batch, sweeps, touched);
      return this.failed(err as Error, waiters);
    }
    for (const [slice, rows] of batch) {
      const onDisk = this.onDisk.get(slice)!;
      for (const [key, value] of rows) {
        if (value === undefined) onDisk.delete(key);
        else onDisk.set(key, this.fingerprint(slice, value));
      }
    }
    this.history.committed(historyWrites);
    this.stats.writes++;
    this.durable = number;
    this.failing = false;
    this.settle(waiters);
    for (const listener of this.written) listener();
  }

  /** A failed commit's rows are dirty again (unless changed since, which made them dirty anyway). */
  private restore(batch: Batch, sweeps: ReadonlyArray<readonly [string, string]>, touched: boolean): void {
    for (const [slice, rows] of batch) for (const key of rows.keys()) this.dirty.get(slice)!.add(key);
    for (const [bot] of sweeps) if (!this.dirty.get("results")!.has(bot)) this.sweepsDue.add(bot);
    this.touched ||= touched;
  }

  private failed(err: Error, waiters: Waiter[]): void {
    this.failing = true;
    this.reportError(err, "commit");
    for (const w of waiters) w.reject(err);
    clearTimeout(this.retryTimer);
    this.retryTimer = armTimer(() => {
      this.retryTimer = undefined;
      void this.commit().catch(() => undefined);
    }, this.o.retryIntervalMs ?? 1000);
  }

  private reportError(err: Error, operation: "commit" | "sync"): void {
    this.o.onError?.(err, operation);
  }

  private settle(waiters: Waiter[]): void {
    for (const w of waiters) w.resolve();
  }

  /** Other replicas' rows into memory; a row with a write of this replica's own pending keeps its own. */
  private async applyRemote(changes: FeedChanges | "reload"): Promise<void> {
    const sliceKeys = (slice: FeedSlice): string[] | undefined => (changes === "reload" ? undefined : changes.has(slice) ? [...changes.get(slice)!] : []);
    for (const slice of ["bots", "connections", "silences", "results", "alerts"] as const) {
      const keys = sliceKeys(slice);
      if (keys && keys.length === 0) continue;
      const rows = await readSlice(this.pool, slice, keys);
      const memory = this.slice(slice);
      for (const key of keys ?? new Set([...memory.keys(), ...rows.keys()])) this.applyRow(slice, key, rows.get(key));
    }
    const sweeps = sliceKeys("sweeps");
    if (sweeps === undefined || sweeps.length > 0) {
      const { rows } = sweeps
        ? await this.pool.query<{ bot: string; checked_at: number }>("SELECT bot, checked_at FROM bot_sweeps WHERE bot = ANY($1)", [sweeps])
        : await this.pool.query<{ bot: string; checked_at: number }>("SELECT bot, checked_at FROM bot_sweeps");
      for (const r of rows) {
        const current = this.results.map.get(r.bot);
        if (current && !this.writes("results", r.bot)) this.results.map.set(r.bot, withSweep(current as { checkedAt: string }, r.checked_at) as S["results"]);
      }
    }
  }

  private applyRow(slice: SliceName, key: string, value: unknown): void {
    if (this.dirty.get(slice)!.has(key)) return;
    if (this.writes(slice, key) && (slice === "results" || slice === "alerts") && this.o.owns) return; // this replica's own rows
    const memory = this.slice(slice);
    if (value === undefined) {
      if (!memory.delete(key)) return;
      this.onDisk.get(slice)!.delete(key);
    } else {
      memory.set(key, value);
      this.onDisk.get(slice)!.set(key, this.fingerprint(slice, value));
    }
    for (const listener of this.remote) listener(slice as FeedSlice, key);
  }
}
