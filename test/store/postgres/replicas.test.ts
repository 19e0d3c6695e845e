import { describe, expect, it } from "vitest";
import pg from "pg";
import { PostgresStore } from "../../../src/store/postgres/postgres-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";
import { testDatabaseUrl } from "../../support/test-database.ts";
import { outboxEntry, result, storedBot } from "../contract-fixtures.ts";


const open = (url: string, replica: string, owns?: (bot: string) => boolean) =>
  PostgresStore.open<WatchState>({
    url,
    replica,
    pollIntervalMs: 200,
    claimExpiryMs: 1_000,
    retryIntervalMs: 50,
    ...(owns && { owns: (_slice: string, key: string) => owns(key) }),
  });

const until = async (what: string, done: () => boolean, ms = 5_000) => {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
};

describe("replicas sharing one PostgreSQL store", () => {
  it("when a replica registers, changes and deletes an API bot, then another sees each change within a second and hears of it", async () => {
    const url = await testDatabaseUrl();
    const [a, b] = await Promise.all([open(url, "a"), open(url, "b")]);
    const heard: string[] = [];
    b.onRemoteChange((slice, key) => heard.push(`${slice}:${key}`));
    try {
      await a.bots.put("carol", storedBot("carol"));
      await a.connections.put("carol", "bc-1");
      const seen = await until("carol on b", () => b.connections.get("carol") === "bc-1");
      expect(b.bots.get("carol")).toEqual(storedBot("carol"));
      await a.bots.put("carol", storedBot("carol", "2026-11-25T00:00:00.000Z"));
      await until("the change on b", () => (b.bots.get("carol") as { updatedAt: string }).updatedAt === "2026-11-25T00:00:00.000Z");
      await a.bots.delete("carol");
      await until("the deletion on b", () => !b.bots.has("carol"));
      expect(heard).toEqual(["bots:carol", "connections:carol", "bots:carol", "bots:carol"]);
      console.log(`a registration on replica a reached replica b in ${seen} ms`);
      expect(seen).toBeLessThan(1_000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("when results of a bot are put on the replica that does not own it, then nothing is written, and the owner's results reach it", async () => {
    const url = await testDatabaseUrl();
    const ownedByA = (bot: string) => bot === "anna";
    const [a, b] = await Promise.all([open(url, "a", ownedByA), open(url, "b", (bot) => !ownedByA(bot))]);
    try {
      await b.results.put("anna", result("anna", "down"));
      await a.results.put("anna", result("anna", "healthy"));
      await until("a's verdict on b", () => b.results.get("anna")?.health === "healthy");
      const reader = new pg.Client({ connectionString: url });
      await reader.connect();
      const { rows } = await reader.query("SELECT health FROM bot_results WHERE bot = 'anna'");
      await reader.end();
      expect(rows).toEqual([{ health: "healthy" }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("when a replica stops without releasing (crashed: its heartbeat ages), then another claims its undelivered notifications, each by one replica only", async () => {
    const url = await testDatabaseUrl();
    const a = await open(url, "a");
    await a.outbox.add(Array.from({ length: 40 }, (_, i) => outboxEntry(`o-${i}`)));
    // a is gone without a word: its pool closed under it, its heartbeat no longer renewed.
    await (a as unknown as { feed: { stop(): Promise<void> } }).feed.stop();
    const [b, c] = await Promise.all([open(url, "b"), open(url, "c")]);
    try {
      expect(b.outbox.size + c.outbox.size).toBe(0); // a's heartbeat is still fresh
      const took = await until("the orphans claimed", () => b.outbox.size + c.outbox.size === 40, 10_000);
      const ids = [...b.outbox.list(), ...c.outbox.list()].map((e) => e.id);
      expect(new Set(ids).size).toBe(40);
      console.log(`notifications of a crashed replica claimed ${took} ms after it stopped (expiry 1000 ms): b ${b.outbox.size}, c ${c.outbox.size}`);
    } finally {
      await Promise.all([b.close(), c.close(), a.pool.end()]);
    }
  });

  it("when a replica stops gracefully, then its undelivered notifications are claimed by another within one poll", async () => {
    const url = await testDatabaseUrl();
    const [a, b] = await Promise.all([open(url, "a"), open(url, "b")]);
    try {
      await a.outbox.add([outboxEntry("o-1"), outboxEntry("o-2")]);
      await b.sync();
      expect(b.outbox.size).toBe(0);
      let arrived = 0;
      b.onOutboxArrived(() => arrived++);
      await a.close();
      const took = await until("b holds them", () => b.outbox.size === 2, 2_000);
      expect(b.outbox.list().map((e) => e.id)).toEqual(["o-1", "o-2"]);
      expect(arrived).toBe(1);
      console.log(`a gracefully stopped replica's notifications taken over in ${took} ms`);
    } finally {
      await b.close();
    }
  });
});
