import type pg from "pg";
import type { Logger } from "pino";
import type { Clock } from "../clock.ts";

/**
 * What a replica does with its shards while its renewal rounds fail (the database is unreachable):
 * - `keep` (default): it goes on sweeping what it held. When the database is down for every replica,
 *   nobody can take a shard over, so releasing would leave the whole fleet unswept. The price: a
 *   replica cut off alone sweeps its shards while another replica, which can reach the database, takes
 *   them after the lapse; that double sweeping is harmless reads, and notifications need the database
 *   (the outbox) to be delivered, so none goes out twice. On reconnect the shards taken meanwhile are
 *   reported lost at once.
 * - `release`: it stops counting on its shards before any other replica can take them (the self-fence
 *   below), so no two replicas ever sweep one shard, at the price of an unswept fleet while the
 *   database is down for all.
 * Either way, a replica whose rounds SUCCEED but too late (the process stalled: a long pause, a
 * suspended VM) stops counting on its leases at the fence, since the database may already have given
 * them to another replica.
 */
export type WhenUnreachable = "keep" | "release";

export interface ShardLeasesOptions {
  pool: pg.Pool;
  /** This replica's id in `replicas` and `shard_leases`: unique per running process (two processes under one id would both hold its shards). */
  replica: string;
  /** `shard.count`: the fleet is split into this many fixed shards (src/shard.ts). */
  shardCount: number;
  /** How long a lease lasts after its last renewal, on the database's clock (default 30 s). */
  leaseMs?: number;
  /** The period of the renewal rounds (default leaseMs / 3; below two thirds of leaseMs). */
  renewEveryMs?: number;
  /** See WhenUnreachable (default "keep"). */
  whenUnreachable?: WhenUnreachable;
  logger?: Logger;
  /** Called whenever the set of shards this replica may sweep changes (not for a round that changed nothing). */
  onChange?: (gained: number[], lost: number[]) => void;
  /** Called with each failed round or release (the round is retried at the next period). */
  onError?: (err: unknown) => void;
  clock?: Clock;
}

export interface LeaseTiming {
  leaseMs: number;
  renewEveryMs: number;
  /**
   * How long after the START of its last successful round a replica counts on its leases:
   * leaseMs - renewEveryMs / 2. The round's database time, and so the lease's expiry, is later than
   * that start; the half period is the margin for the two clocks' drift and the reply's way back.
   */
  fenceMs: number;
  whenUnreachable: WhenUnreachable;
}

/** The options' times and policy, defaulted and checked; a bad one throws naming it. */
export function leaseTiming(options: ShardLeasesOptions): LeaseTiming {
  if (!options.replica) throw new Error("shard leases: replica must be a non-empty id");
  if (!Number.isInteger(options.shardCount) || options.shardCount < 1) throw new Error(`shard leases: shardCount must be a whole number of at least 1, got ${options.shardCount}`);
  const leaseMs = options.leaseMs ?? 30_000;
  if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new Error(`shard leases: leaseMs must be a positive number of milliseconds, got ${leaseMs}`);
  const renewEveryMs = options.renewEveryMs ?? leaseMs / 3;
  // A renewal must come before the fence: leaseMs - renewEveryMs/2 > renewEveryMs.
  if (!(Number.isFinite(renewEveryMs) && renewEveryMs > 0 && renewEveryMs < (leaseMs * 2) / 3))
    throw new Error(`shard leases: renewEveryMs must be positive and below two thirds of leaseMs (${leaseMs}), so a lease is renewed before its holder stops counting on it; got ${renewEveryMs}`);
  const whenUnreachable = options.whenUnreachable ?? "keep";
  if (whenUnreachable !== "keep" && whenUnreachable !== "release") throw new Error(`shard leases: whenUnreachable must be "keep" or "release", got ${JSON.stringify(whenUnreachable)}`);
  return { leaseMs, renewEveryMs, fenceMs: leaseMs - renewEveryMs / 2, whenUnreachable };
}
