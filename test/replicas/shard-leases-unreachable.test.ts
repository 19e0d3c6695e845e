import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeaseFleet, until, type Member } from "../support/lease-fleet.ts";
import { createDatabase, startPostgres, type RunningPostgres } from "../support/postgres.ts";
import { tcpCut, type TcpCut } from "../support/tcp-cut.ts";
import { testDatabaseUrl } from "../support/test-database.ts";

/** As in shard-leases.test.ts: renewed every 500 ms, counted on for 1250 ms after a round's start. */
const LEASE = 1500;
const RENEW = LEASE / 3;
const OPTIONS = { shardCount: 12, leaseMs: LEASE };
const SLACK = 500;

const sortedHeld = (m: Member) => [...m.leases.held()].sort((a, b) => a - b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withPort = (url: string, port: number) => Object.assign(new URL(url), { port: String(port) }).toString();

/** Samples `probe` every 25 ms for `ms`; the values it gave that differ from `expected`. */
async function deviations<T>(probe: () => T, expected: T, ms: number): Promise<T[]> {
  const seen: T[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const value = probe();
    if (JSON.stringify(value) !== JSON.stringify(expected)) seen.push(value);
    await sleep(25);
  }
  return seen;
}

describe("shard leases when one replica alone loses the database (a partition)", () => {
  let relay: TcpCut | undefined;
  afterAll(() => relay?.close());

  /** Replica `a` on the database, `p` through a relay that can be cut; 6 shards each. */
  async function partitionable(whenUnreachable: "keep" | "release") {
    const url = await testDatabaseUrl();
    relay = await tcpCut(Number(new URL(url).port));
    const fleet = await LeaseFleet.on(url, OPTIONS);
    const [[a], [p]] = await Promise.all([fleet.add(["a"]), fleet.add(["p"], { url: withPort(url, relay.port), whenUnreachable })]);
    await until("6 shards each", () => a!.leases.held().size === 6 && p!.leases.held().size === 6, 12 * RENEW);
    return { fleet, a: a!, p: p!, relay };
  }

  it("when it runs with whenUnreachable release, then it gives its shards up before the other replica takes them, and gets them back gradually on reconnect", async () => {
    const { fleet, a, p, relay } = await partitionable("release");
    try {
      const had = sortedHeld(p);
      const cutAt = performance.now();
      relay.cut();
      await until("a to hold all 12", () => a.leases.held().size === 12, LEASE + 4 * RENEW);
      const lostAt = p.changes.find((c) => c.at >= cutAt && c.lost.length > 0)!;
      const takenAt = a.changes.find((c) => c.at >= cutAt && c.gained.some((s) => had.includes(s)))!;
      console.log(`shard leases (release): the cut-off replica gave its shards up ${Math.round(lostAt.at - cutAt)} ms after the cut, the other took the first of them ${Math.round(takenAt.at - cutAt)} ms after (lease ${LEASE} ms)`);
      expect(lostAt.lost).toEqual(had);
      expect(lostAt.at).toBeLessThan(takenAt.at);
      expect(lostAt.at - cutAt).toBeLessThanOrEqual(LEASE);
      expect(p.leases.held().size).toBe(0);

      relay.restore();
      await until("6 shards each again", () => a.leases.held().size === 6 && p.leases.held().size === 6, 20 * RENEW);
      expect(a.changes.filter((c) => c.at >= cutAt && c.lost.length > 0).every((c) => c.lost.length === 1)).toBe(true);
    } finally {
      await fleet.close();
    }
  });

  it("when it runs with whenUnreachable keep, then it goes on holding its shards while cut off, and on reconnect reports at once those the other replica took", async () => {
    const { fleet, a, p, relay } = await partitionable("keep");
    try {
      const had = sortedHeld(p);
      const epochs = (await fleet.rows()).map((r) => r.epoch);
      relay.cut();
      const kept = deviations(() => sortedHeld(p), had, LEASE + 3 * RENEW);
      await until("a to hold all 12", () => a.leases.held().size === 12, LEASE + 4 * RENEW);
      expect(await kept).toEqual([]);
      expect(p.leases.holds(had[0]!)).toBe(true);

      const restoredAt = performance.now();
      relay.restore();
      await until("p to report its shards lost", () => p.leases.held().size === 0, 4 * RENEW);
      const lost = p.changes.find((c) => c.at >= restoredAt)!;
      console.log(`shard leases (keep): on reconnect, the shards taken meanwhile were reported lost ${Math.round(lost.at - restoredAt)} ms after (one renewal: ${RENEW} ms)`);
      expect(lost.lost).toEqual(had);
      expect(lost.at - restoredAt).toBeLessThan(RENEW + SLACK);
      const after = await fleet.rows();
      for (const s of had) expect(after[s]!.epoch).toBe(epochs[s]! + 1);
    } finally {
      await fleet.close();
    }
  });
});

describe("shard leases when the database is down for every replica", () => {
  let server: RunningPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.destroy());

  it("when the database stops, then a keep replica goes on holding and a release one gives up within leaseMs; once it is back, both renew their own shards, epochs unchanged", async () => {
    const db = await createDatabase(server!.adminUrl);
    const fleet = await LeaseFleet.on(db.url, OPTIONS);
    try {
      // Half a period apart, so that when the database is back one of them renews first and finds the other's heartbeat stale.
      const [k] = await fleet.add(["k"], { whenUnreachable: "keep" });
      await sleep(RENEW / 2);
      const [r] = await fleet.add(["r"], { whenUnreachable: "release" });
      await until("6 shards each", () => k!.leases.held().size === 6 && r!.leases.held().size === 6, 12 * RENEW);
      const [kHad, rHad] = [sortedHeld(k!), sortedHeld(r!)];
      const before = await fleet.rows();

      const stoppedAt = performance.now();
      const kept = deviations(() => sortedHeld(k!), kHad, 2 * LEASE);
      await server!.stop("fast");
      await until("the release replica to give its shards up", () => r!.leases.held().size === 0, LEASE + 4 * RENEW);
      expect(await kept).toEqual([]);
      const gaveUp = r!.changes.find((c) => c.at >= stoppedAt)!;
      console.log(`shard leases: database down; the release replica gave its shards up ${Math.round(gaveUp.at - stoppedAt)} ms after, the keep one held its 6 for ${Math.round(performance.now() - stoppedAt)} ms and on`);
      expect(gaveUp.lost).toEqual(rHad);
      expect(gaveUp.at - stoppedAt).toBeLessThanOrEqual(LEASE);

      const restartedAt = performance.now();
      await server!.start();
      const upAt = performance.now();
      await until("both to hold their own 6 again", () => sortedHeld(k!).join() === kHad.join() && sortedHeld(r!).join() === rHad.join(), 30_000);
      console.log(`shard leases: database restarted in ${Math.round(upAt - restartedAt)} ms; the release replica renewed its own 6 ${Math.round(performance.now() - upAt)} ms after`);
      const after = await fleet.rows();
      expect(after.map((row) => [row.replica, row.epoch])).toEqual(before.map((row) => [row.replica, row.epoch]));
      // Over a few more rounds nothing moves either: the first replica back did not claim the other's lapsed shards.
      await sleep(4 * RENEW);
      expect((await fleet.rows()).map((row) => [row.replica, row.epoch])).toEqual(before.map((row) => [row.replica, row.epoch]));
      expect(r!.changes.at(-1)).toMatchObject({ gained: rHad, lost: [] });
    } finally {
      await fleet.close();
    }
  }, 90_000);
});
