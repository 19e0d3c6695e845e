import type pg from "pg";
import { MIGRATIONS } from "../../src/store/migrations/index.ts";
import { migratePostgres } from "../../src/store/postgres/migrate.ts";
import { createPool } from "../../src/store/postgres/pool.ts";
import { ShardLeases, type ShardLeasesOptions } from "../../src/replicas/shard-leases.ts";

/** One replica of a test fleet: its leases, its own pool (as a process of its own has), what onChange said. */
export interface Member {
  id: string;
  leases: ShardLeases;
  pool: pg.Pool;
  /** Every onChange, with the monotonic time it came. */
  changes: { at: number; gained: number[]; lost: number[] }[];
  /** Killed (its pool ended: it renews nothing and releases nothing) or stopped: left out of "who holds what". */
  gone: boolean;
}

export interface LeaseRow {
  shard: number;
  replica: string | null;
  expires_at: number;
  epoch: number;
}

type MemberOptions = Omit<ShardLeasesOptions, "pool" | "replica" | "onChange">;

/** Replicas of ShardLeases on one database, each with its own pool, for the lease tests. */
export class LeaseFleet {
  readonly members: Member[] = [];
  readonly admin: pg.Pool;
  private readonly url: string;
  private readonly defaults: MemberOptions;

  private constructor(url: string, defaults: MemberOptions) {
    this.url = url;
    this.defaults = defaults;
    this.admin = createPool({ url, max: 2 });
  }

  /** A fleet on the database at `url`, migrated to the newest schema. */
  static async on(url: string, defaults: MemberOptions): Promise<LeaseFleet> {
    const fleet = new LeaseFleet(url, defaults);
    await migratePostgres(fleet.admin, "test", MIGRATIONS);
    return fleet;
  }

  /** Starts replicas at once (their first rounds race). `url` overrides the database's, e.g. a relay's. */
  async add(ids: string[], options: Partial<MemberOptions> & { url?: string } = {}): Promise<Member[]> {
    const { url, ...overrides } = options;
    const added = ids.map((id) => {
      const pool = createPool({ url: url ?? this.url, max: 2, onError: () => undefined });
      const member: Member = { id, pool, changes: [], gone: false, leases: undefined as unknown as ShardLeases };
      member.leases = new ShardLeases({
        ...this.defaults,
        ...overrides,
        pool,
        replica: id,
        onChange: (gained, lost) => member.changes.push({ at: performance.now(), gained, lost }),
      });
      this.members.push(member);
      return member;
    });
    await Promise.all(added.map((m) => m.leases.start()));
    return added;
  }

  /** As if the process died: nothing renewed, nothing released (its rounds fail from now on). */
  async kill(member: Member): Promise<void> {
    member.gone = true;
    await member.pool.end();
  }

  async stop(member: Member): Promise<void> {
    member.gone = true;
    await member.leases.stop();
  }

  live(): Member[] {
    return this.members.filter((m) => !m.gone);
  }

  /** Each live replica's held(), in one synchronous snapshot. */
  heldNow(): Map<string, number[]> {
    return new Map(this.live().map((m) => [m.id, [...m.leases.held()].sort((a, b) => a - b)]));
  }

  async rows(): Promise<LeaseRow[]> {
    return (await this.admin.query<LeaseRow>("SELECT shard, replica, expires_at, epoch FROM shard_leases ORDER BY shard")).rows;
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map(async (m) => {
      await m.leases.stop();
      if (!m.pool.ended) await m.pool.end();
    }));
    await this.admin.end();
  }
}

/** Polls `probe` every 20 ms until it is true; returns the milliseconds it took, or throws naming `what`. */
export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The shards held by two replicas at once in a snapshot of held(), with who. */
export function heldTwice(held: Map<string, number[]>): string[] {
  const holder = new Map<number, string>();
  const twice: string[] = [];
  for (const [id, shards] of held)
    for (const s of shards) {
      const other = holder.get(s);
      if (other !== undefined) twice.push(`shard ${s}: ${other} and ${id}`);
      holder.set(s, id);
    }
  return twice;
}

/** The held shards' sizes by replica and whether together they are each of 0…count-1 exactly once. */
export function coverage(held: Map<string, number[]>, count: number): { sizes: number[]; complete: boolean } {
  const all = [...held.values()].flat().sort((a, b) => a - b);
  return { sizes: [...held.values()].map((s) => s.length).sort((a, b) => a - b), complete: all.length === count && all.every((s, i) => s === i) };
}
