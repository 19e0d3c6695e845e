import { armTimer, systemClock, type Clock } from "../clock.ts";
import { shardOf } from "../shard.ts";
import { inTransaction } from "../store/postgres/pool.ts";
import { leaseRound, registerReplica, releaseReplica, type RoundOptions } from "./lease-round.ts";
import { leaseTiming, type LeaseTiming, type ShardLeasesOptions } from "./lease-options.ts";

export type { ShardLeasesOptions, WhenUnreachable } from "./lease-options.ts";

const NONE: ReadonlySet<number> = new Set();
const sorted = (shards: Iterable<number>) => [...shards].sort((a, b) => a - b);

/**
 * The shards this replica sweeps, held by lease among equal replicas on one PostgreSQL (README
 * "Which form: one process, shards or replicas"). One renewal round per `renewEveryMs`, one transaction
 * each (lease-round.ts). What the round establishes counts only until the self-fence, on the local
 * MONOTONIC clock: `leaseMs - renewEveryMs / 2` after the start of the last successful round, which is
 * before the lease lapses on the database's clock, so a replica stops counting on a shard before any
 * other can take it. While rounds fail, `whenUnreachable` says whether it keeps its shards past the
 * fence (lease-options.ts explains the trade-off).
 */
export class ShardLeases {
  private readonly timing: LeaseTiming;
  private readonly round: RoundOptions;
  private readonly clock: Clock;
  /** The shards the last successful round holds (less one dropped before its release was written). */
  private leased: Set<number> = new Set();
  /** Monotonic time until which `leased` counts without a newer successful round. */
  private fenceAt = -Infinity;
  /** The last round that finished failed: the database is taken to be unreachable. */
  private unreachable = false;
  /**
   * Rounds that only renew (RoundSteps.claim), set after a failure: two, so that every other replica
   * back from the same outage has had a whole period to renew its own shards before this one counts
   * the replicas and claims what still lies free.
   */
  private renewOnlyRounds = 0;
  /** What onChange was last told. */
  private reported: ReadonlySet<number> = NONE;
  private state: "new" | "running" | "stopped" = "new";
  private roundStartedAt = 0;
  private roundTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  /** The start or round under way, which stop() lets finish before it releases. */
  private inFlight: Promise<unknown> = Promise.resolve();

  private readonly options: ShardLeasesOptions;

  constructor(options: ShardLeasesOptions) {
    this.options = options;
    this.timing = leaseTiming(options);
    this.round = { replica: options.replica, shardCount: options.shardCount, leaseMs: this.timing.leaseMs };
    this.clock = options.clock ?? systemClock;
  }

  /** Registers the replica, makes sure the shards' rows exist and runs the first round; rejects if any of it fails. */
  start(): Promise<void> {
    if (this.state !== "new") return Promise.reject(new Error(`shard leases of replica ${this.options.replica}: already ${this.state}; start() again only after a start that failed`));
    this.state = "running";
    const work = this.firstRound();
    this.inFlight = work.catch(() => undefined);
    return work;
  }

  private async firstRound(): Promise<void> {
    try {
      await inTransaction(this.options.pool, (client) => registerReplica(client, this.round));
    } catch (err) {
      if (this.state === "running") this.state = "new";
      throw new Error(`shard leases of replica ${this.options.replica}: could not register with the database: ${errorText(err)}`, { cause: err });
    }
    // A start retried after a failed one claims at once, as a first start does.
    this.unreachable = false;
    this.renewOnlyRounds = 0;
    const failure = await this.renew();
    if (failure !== undefined && this.state === "running") {
      this.state = "new";
      throw new Error(`shard leases of replica ${this.options.replica}: the first renewal round failed: ${errorText(failure)}`, { cause: failure });
    }
    this.scheduleRound();
  }

  /**
   * Graceful: stops counting on every shard (onChange reports them lost), then releases the leases at
   * once and deletes the replica's row, so the others take the shards in their next round instead of
   * after the lapse. A release that fails is reported, not thrown: the leases then lapse after leaseMs.
   */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    const registered = this.state === "running";
    this.state = "stopped";
    clearTimeout(this.roundTimer);
    clearTimeout(this.fenceTimer);
    await this.inFlight;
    this.report();
    if (!registered) return;
    try {
      const released = await inTransaction(this.options.pool, (client) => releaseReplica(client, this.options.replica));
      this.options.logger?.info({ replica: this.options.replica, released }, "shard leases released");
    } catch (err) {
      this.options.logger?.warn({ replica: this.options.replica, err }, `shard leases could not be released; they lapse after ${this.timing.leaseMs} ms`);
      this.notifyError(err);
    }
  }

  /** The shards this replica may sweep now. */
  held(): ReadonlySet<number> {
    return new Set(this.current());
  }

  holds(shard: number): boolean {
    return this.current().has(shard);
  }

  /** Whether this replica sweeps the bot named `name` now (its shard by src/shard.ts). */
  holdsBot(name: string): boolean {
    return this.holds(shardOf(name, this.options.shardCount));
  }

  private current(): ReadonlySet<number> {
    if (this.state !== "running") return NONE;
    if (this.clock.mono() < this.fenceAt) return this.leased;
    return this.unreachable && this.timing.whenUnreachable === "keep" ? this.leased : NONE;
  }

  private scheduleRound(): void {
    if (this.state !== "running") return;
    // From the last round's start, not its end: a slow round does not push every later one back.
    this.roundTimer = armTimer(() => {
      const round = this.renew().then(() => this.scheduleRound());
      this.inFlight = round;
    }, this.roundStartedAt + this.timing.renewEveryMs - this.clock.mono());
  }

  /** One round; never rejects. Returns its failure, if it failed. */
  private async renew(): Promise<unknown> {
    if (this.state !== "running") return undefined;
    const startedAt = this.clock.mono();
    this.roundStartedAt = startedAt;
    let failure: unknown;
    try {
      const steps = { claim: this.renewOnlyRounds === 0, beforeRelease: (shard: number) => this.dropBeforeRelease(shard) };
      const result = await withinMs(
        inTransaction(this.options.pool, (client) => leaseRound(client, this.round, steps)),
        this.timing.renewEveryMs,
        `the database did not answer the renewal round within ${this.timing.renewEveryMs} ms`,
      );
      this.leased = new Set(result.held);
      this.fenceAt = startedAt + this.timing.fenceMs;
      if (this.unreachable) this.options.logger?.info({ replica: this.options.replica, held: result.held }, "shard leases renewed again: the database is reachable");
      this.unreachable = false;
      this.renewOnlyRounds = Math.max(0, this.renewOnlyRounds - 1);
      this.armFence();
    } catch (err) {
      failure = err;
      if (!this.unreachable)
        this.options.logger?.warn(
          { replica: this.options.replica, err, whenUnreachable: this.timing.whenUnreachable },
          this.timing.whenUnreachable === "keep" ? "shard leases cannot be renewed; sweeping the shards held until the database answers" : "shard leases cannot be renewed; the shards are given up at the lease's fence",
        );
      this.unreachable = true;
      this.renewOnlyRounds = 2;
      this.notifyError(err);
    }
    this.report();
    return failure;
  }

  private dropBeforeRelease(shard: number): void {
    this.leased.delete(shard);
    this.report();
  }

  /** At the fence, what was held stops counting (unless kept while unreachable): onChange hears of it then. */
  private armFence(): void {
    clearTimeout(this.fenceTimer);
    if (this.state !== "running") return; // a round that ended after stop(): nothing left to fence
    const check = () => {
      // Node's timers and performance.now() may differ by a fraction of a millisecond: never report early.
      if (this.clock.mono() < this.fenceAt) this.fenceTimer = armTimer(check, this.fenceAt - this.clock.mono() + 1);
      else this.report();
    };
    this.fenceTimer = armTimer(check, this.fenceAt - this.clock.mono());
  }

  /** Tells onChange what changed since it was last told, if anything did. */
  private report(): void {
    const now = this.current();
    const gained = sorted([...now].filter((s) => !this.reported.has(s)));
    const lost = sorted([...this.reported].filter((s) => !now.has(s)));
    if (gained.length === 0 && lost.length === 0) return;
    this.reported = new Set(now);
    this.options.logger?.info({ replica: this.options.replica, gained, lost, held: sorted(now) }, "shards held changed");
    try {
      this.options.onChange?.(gained, lost);
    } catch (err) {
      this.options.logger?.error({ replica: this.options.replica, err }, "shard leases: onChange threw");
    }
  }

  private notifyError(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch (thrown) {
      this.options.logger?.error({ replica: this.options.replica, err: thrown }, "shard leases: onError threw");
    }
  }
}

/**
 * `work`, or a rejection once `ms` have passed. A round on a connection that no longer answers (a
 * network that drops packets) would otherwise wait for the pool's 30 s query timeout, past the fence;
 * counted as failed at once, it is what whenUnreachable is for. If it commits later after all, the
 * database holds the leases a little longer than this replica counts on them: the safe way round.
 */
function withinMs<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = armTimer(() => reject(new Error(message)), ms)));
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
