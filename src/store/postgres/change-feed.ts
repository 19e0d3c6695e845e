import pg from "pg";
import { armTimer } from "../../clock.ts";
import { libpqSslModes } from "./pool.ts";

/** The slices other replicas' writes reach this one through (`sweeps`: a batch of last-sweep times). */
export type FeedSlice = "bots" | "connections" | "silences" | "results" | "alerts" | "sweeps";
export const FEED_CHANNEL = "secretary_changes";
/** Taken by every writer of the feed, inside its transaction: `seq` order is commit order. */
export const FEED_LOCK = 7_355_610;
/** Feed rows older than this are pruned; a replica that fell further behind reloads every shared slice. */
export const FEED_KEEP_MS = 10 * 60_000;

export type FeedChanges = Map<FeedSlice, Set<string>>;

export interface ChangeFeedOptions {
  pool: pg.Pool;
  url: string;
  replica: string;
  /** How often the feed is read besides NOTIFY's wake-ups (a lost notification costs at most this). */
  pollIntervalMs: number;
  /** Applies changed keys (rows re-read by the caller); `reload` when the feed cannot say what changed. */
  apply(changes: FeedChanges | "reload"): Promise<void>;
  /** Runs on every round after the feed was read (the outbox's claims, the replica's heartbeat). */
  onRound?(): Promise<void>;
  onError(err: Error): void;
}

/**
 * What other replicas changed, in commit order (migration 005's `state_changes`). NOTIFY on a listening
 * connection wakes the reader at once; a poll every `pollIntervalMs` catches what a dropped connection
 * missed. Rounds never overlap; a failed one is retried on the next tick.
 */
export class ChangeFeed {
  private readonly o: ChangeFeedOptions;
  private seen = 0;
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private round: Promise<void> | undefined;
  private again = false;
  private lastPrune = 0;

  constructor(options: ChangeFeedOptions) {
    this.o = options;
  }

  /** Starts after `seen`, the feed's newest row read in the same snapshot as the slices were loaded. */
  start(seen: number): void {
    this.seen = seen;
    this.running = true;
    void this.listen();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.round?.catch(() => undefined);
  }

  /** Reads the feed now (and again after a round under way ends). Resolves when that round is done. */
  poll(): Promise<void> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    this.round = this.read()
      .catch((err: Error) => this.o.onError(err))
      .finally(() => {
        this.round = undefined;
        if (this.again && this.running) {
          this.again = false;
          void this.poll();
        }
      });
    return this.round;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = armTimer(() => {
      void this.poll().finally(() => this.schedule());
    }, this.o.pollIntervalMs);
  }

  private async read(): Promise<void> {
    const { rows } = await this.o.pool.query<{ seq: number; slice: FeedSlice; key: string; replica: string }>(
      "SELECT seq, slice, key, replica FROM state_changes WHERE seq > $1 ORDER BY seq LIMIT 20000",
      [this.seen],
    );
    const first = rows[0]?.seq;
    if (first !== undefined && first > this.seen + 1 && (await this.prunedSince(this.seen))) {
      await this.o.apply("reload");
    } else if (rows.length > 0) {
      const changes: FeedChanges = new Map();
      for (const r of rows) {
        if (r.replica === this.o.replica) continue;
        let keys = changes.get(r.slice);
        if (!keys) changes.set(r.slice, (keys = new Set()));
        keys.add(r.key);
      }
      if (changes.size > 0) await this.o.apply(changes);
    }
    if (rows.length > 0) this.seen = rows.at(-1)!.seq;
    if (rows.length === 20000) this.again = true;
    await this.o.onRound?.();
    await this.prune();
  }

  /**
   * Whether rows after `seen` were pruned: a hole in `seq` is also what a rolled-back insert leaves,
   * which loses nothing; only rows older than the oldest kept are gone for good.
   */
  private async prunedSince(seen: number): Promise<boolean> {
    const { rows } = await this.o.pool.query<{ oldest: number | null }>("SELECT MIN(seq) AS oldest FROM state_changes");
    return seen > 0 && (rows[0]?.oldest ?? 0) > seen + 1;
  }

  private async prune(): Promise<void> {
    const now = performance.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    await this.o.pool.query("DELETE FROM state_changes WHERE at < secretary_now_ms() - $1", [FEED_KEEP_MS]);
  }

  /** A connection of its own that LISTENs; reconnects after a failure, polling meanwhile. */
  private async listen(): Promise<void> {
    while (this.running && !this.listener) {
      const client = new pg.Client({ connectionString: libpqSslModes(this.o.url), connectionTimeoutMillis: 5_000, application_name: "secretary-watch listener" });
      // Listened to from the start: an error while connecting is the rejection below, one after it a reconnect.
      client.on("error", () => {
        if (this.listener !== client) return;
        this.listener = undefined;
        void client.end().catch(() => undefined);
        void this.listen();
      });
      try {
        await client.connect();
        client.on("notification", (n) => {
          if (n.payload !== this.o.replica) void this.poll();
        });
        await client.query(`LISTEN ${FEED_CHANNEL}`);
        if (!this.running) {
          await client.end();
          return;
        }
        this.listener = client;
        // What was committed while nobody listened.
        void this.poll();
      } catch {
        await client.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.min(5_000, this.o.pollIntervalMs)));
      }
    }
  }
}
