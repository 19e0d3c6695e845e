import type pg from "pg";
import { describe, expect, it } from "vitest";
import { ShardLeases } from "../../src/replicas/shard-leases.ts";
import { coverage, heldTwice, LeaseFleet, until, type Member } from "../support/lease-fleet.ts";
import { testDatabaseUrl } from "../support/test-database.ts";

/** Short leases for speed: renewed every 500 ms, counted on for 1250 ms after a round's start. */
const LEASE = 1500;
const RENEW = LEASE / 3;
const SHARDS = 12;
/** What a loaded 2-core machine adds to a bound of rounds and leases (the measured times are printed). */
const SLACK = 500;
const OPTIONS = { shardCount: SHARDS, leaseMs: LEASE };

/** Until the live replicas hold `sizes` shards (in any order), all 12 once, each as the table says; returns the ms it took. */
function balanced(fleet: LeaseFleet, sizes: number[], timeoutMs: number): Promise<number> {
  return until(
    `the live replicas to hold ${sizes.join("/")} shards`,
    async () => {
      const held = fleet.heldNow();
      const shape = coverage(held, SHARDS);
      if (!shape.complete || heldTwice(held).length > 0 || shape.sizes.join() !== [...sizes].sort((a, b) => a - b).join()) return false;
      const rows = await fleet.rows();
      return [...held].every(([id, shards]) => shards.every((s) => rows[s]!.replica === id));
    },
    timeoutMs,
  );
}

const changesSince = (member: Member, since: number) => member.changes.filter((c) => c.at >= since);

describe("shard leases' options", () => {
  const pool = {} as pg.Pool;
  it.each([
    [{ replica: "" }, /replica must be a non-empty id/],
    [{ shardCount: 0 }, /shardCount must be a whole number of at least 1, got 0/],
    [{ shardCount: 2.5 }, /shardCount must be a whole number of at least 1, got 2.5/],
    [{ leaseMs: -1 }, /leaseMs must be a positive number of milliseconds, got -1/],
    [{ leaseMs: 3000, renewEveryMs: 2000 }, /renewEveryMs must be positive and below two thirds of leaseMs \(3000\).*got 2000/],
    [{ whenUnreachable: "hope" }, /whenUnreachable must be "keep" or "release", got "hope"/],
  ])("when the options are %o, then the constructor throws naming what is wrong", (bad, message) => {
    expect(() => new ShardLeases({ pool, replica: "a", shardCount: 12, ...(bad as object) })).toThrow(message);
  });
});

describe("shard leases among equal replicas", () => {
  it("when three replicas start on 12 shards, then each holds 4, together all 12, none twice, as the table says", async () => {
    const fleet = await LeaseFleet.on(await testDatabaseUrl(), OPTIONS);
    try {
      await fleet.add(["a", "b", "c"]);
      await balanced(fleet, [4, 4, 4], 12 * RENEW);
      const rows = await fleet.rows();
      expect(rows.map((r) => r.shard)).toEqual([...Array(SHARDS).keys()]);
      for (const m of fleet.members) {
        expect([...m.leases.held()].sort((x, y) => x - y)).toEqual(rows.filter((r) => r.replica === m.id).map((r) => r.shard));
        for (const s of m.leases.held()) expect(m.leases.holds(s)).toBe(true);
      }
      // holdsBot answers by the bot's shard: every name is swept by exactly one replica.
      for (const name of ["anna", "bo", "cy", "dora", "ed"]) expect(fleet.members.filter((m) => m.leases.holdsBot(name))).toHaveLength(1);
    } finally {
      await fleet.close();
    }
  });

  it("when a replica is killed (it stops renewing, releases nothing), then the others hold all 12 within leaseMs and one renewal", async () => {
    const fleet = await LeaseFleet.on(await testDatabaseUrl(), OPTIONS);
    try {
      const [, , c] = await fleet.add(["a", "b", "c"]);
      await balanced(fleet, [4, 4, 4], 12 * RENEW);
      const before = await fleet.rows();
      const killedAt = performance.now();
      await fleet.kill(c!);
      await balanced(fleet, [6, 6], LEASE + 4 * RENEW);
      const since = performance.now() - killedAt;
      console.log(`shard leases: a killed replica's 4 shards taken over ${Math.round(since)} ms after the kill (bound: lease ${LEASE} + renewal ${RENEW} ms)`);
      // Not before its leases lapsed: its last renewal was at most one period before the kill.
      expect(since).toBeGreaterThan(LEASE - RENEW - 100);
      expect(since).toBeLessThan(LEASE + RENEW + SLACK);
      const after = await fleet.rows();
      for (const row of after) {
        const was = before[row.shard]!;
        // A change of holder raises the epoch; a shard that stayed put keeps it.
        expect(row.epoch).toBe(was.replica === "c" ? was.epoch + 1 : was.epoch);
      }
    } finally {
      await fleet.close();
    }
  });

  it("when a replica stops gracefully, then the others take its shards within one renewal and its row is gone", async () => {
    const fleet = await LeaseFleet.on(await testDatabaseUrl(), OPTIONS);
    try {
      const [, , c] = await fleet.add(["a", "b", "c"]);
      await balanced(fleet, [4, 4, 4], 12 * RENEW);
      const had = [...c!.leases.held()].sort((x, y) => x - y);
      const stoppedAt = performance.now();
      await fleet.stop(c!);
      expect(c!.leases.held().size).toBe(0);
      expect(c!.changes.at(-1)).toMatchObject({ gained: [], lost: had });
      await balanced(fleet, [6, 6], LEASE + 4 * RENEW);
      const took = performance.now() - stoppedAt;
      console.log(`shard leases: a stopped replica's 4 shards taken over ${Math.round(took)} ms after stop() (bound: one renewal, ${RENEW} ms)`);
      expect(took).toBeLessThan(RENEW + SLACK);
      const { rows } = await fleet.admin.query("SELECT id FROM replicas ORDER BY id");
      expect(rows.map((r) => r.id)).toEqual(["a", "b"]);
    } finally {
      await fleet.close();
    }
  });

  it("when the stopped replica returns, then the others hand shards back one per round each to 4/4/4, and then no shard moves for 10 rounds", async () => {
    const fleet = await LeaseFleet.on(await testDatabaseUrl(), OPTIONS);
    try {
      const [a, b, c] = await fleet.add(["a", "b", "c"]);
      await balanced(fleet, [4, 4, 4], 12 * RENEW);
      await fleet.stop(c!);
      await balanced(fleet, [6, 6], 4 * RENEW);
      const returnedAt = performance.now();
      const [back] = await fleet.add(["c"]);
      const took = await balanced(fleet, [4, 4, 4], 12 * RENEW);
      console.log(`shard leases: the returning replica was back at 4/4/4 after ${Math.round(took)} ms; it gained ${back!.changes.map((ch) => ch.gained.length).join(" + ")} shards`);
      // Gradually: each of the others released one shard per round, never several at once.
      for (const m of [a!, b!]) expect(changesSince(m, returnedAt)).toEqual([expect.objectContaining({ gained: [], lost: [expect.any(Number)] }), expect.objectContaining({ gained: [], lost: [expect.any(Number)] })]);

      const settled = await fleet.rows();
      const changesBefore = fleet.members.map((m) => m.changes.length);
      await new Promise((r) => setTimeout(r, 10 * RENEW));
      const later = await fleet.rows();
      expect(later.map((r) => [r.replica, r.epoch])).toEqual(settled.map((r) => [r.replica, r.epoch]));
      expect(later.every((r, i) => r.expires_at > settled[i]!.expires_at)).toBe(true); // renewed meanwhile
      expect(fleet.members.map((m) => m.changes.length)).toEqual(changesBefore);
    } finally {
      await fleet.close();
    }
  });
});

describe("shard leases under racing rounds", () => {
  it.each(["keep", "release"] as const)(
    "when 5 replicas (whenUnreachable %s) race their rounds for many rounds while replicas stop, die and join, then no two ever hold a shard and each holds what the table says",
    async (whenUnreachable) => {
      const fleet = await LeaseFleet.on(await testDatabaseUrl(), { ...OPTIONS, whenUnreachable });
      const violations: string[] = [];
      let samples = 0;
      let done = false;
      let holderChanges: number;
      /** The table locked against every round's writes while every replica's held() is read at one instant. */
      const sample = async () => {
        const client = await fleet.admin.connect();
        try {
          await client.query("BEGIN");
          await client.query("LOCK TABLE shard_leases IN SHARE MODE");
          const { rows } = await client.query<{ shard: number; replica: string | null; expires_at: number; now: number }>(
            "SELECT shard, replica, expires_at, secretary_now_ms() AS now FROM shard_leases ORDER BY shard",
          );
          const held = fleet.heldNow();
          await client.query("COMMIT");
          violations.push(...heldTwice(held));
          for (const [id, shards] of held)
            for (const s of shards) {
              const row = rows[s]!;
              if (row.replica !== id || row.expires_at <= row.now) violations.push(`${id} holds shard ${s}, the table says ${row.replica} until ${row.expires_at - row.now} ms from now`);
            }
          samples++;
        } finally {
          client.release();
        }
      };
      const sampler = (async () => {
        while (!done) {
          await sample();
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      try {
        // All five start at the same instant: their rounds, on one period, keep racing each other.
        await fleet.add(["r0", "r1", "r2", "r3", "r4"]);
        for (let step = 0; step < 8; step++) {
          await new Promise((r) => setTimeout(r, 2 * RENEW));
          const live = fleet.live();
          const victim = live[step % live.length]!;
          if (step % 2 === 0) await fleet.stop(victim);
          else await fleet.kill(victim);
          await fleet.add([`r${5 + step}`]);
        }
        // Five live replicas, a fair share of ceil(12 / 5) = 3: the fleet settles with every shard held.
        await until("every shard held once by the live replicas", () => coverage(fleet.heldNow(), SHARDS).complete && heldTwice(fleet.heldNow()).length === 0, LEASE + 6 * RENEW);
        // Every claim raised its shard's epoch by one.
        holderChanges = (await fleet.rows()).reduce((n, r) => n + r.epoch, 0);
      } finally {
        done = true;
        await sampler;
        await fleet.close();
      }
      console.log(`shard leases (${whenUnreachable}): ${samples} locked snapshots of 5 racing replicas, ${holderChanges} changes of holder over ${fleet.members.length} replicas, ${violations.length} violations`);
      expect(violations).toEqual([]);
      expect(samples).toBeGreaterThan(50);
      expect(holderChanges).toBeGreaterThan(SHARDS + 8); // the churn moved shards: the race was real
    },
    60_000,
  );
});
