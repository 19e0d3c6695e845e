/**
 * The store's contract (src/store/repositories.ts), one suite for every engine: each engine's test
 * file calls `storeContract` with a way to open it. Nothing here knows the engine.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StateRepositories } from "../../src/store/repositories.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { mountTmpfs, type ReadOnlyDisk } from "../support/read-only-disk.ts";
import { alertState, outboxEntry, result, silence, storedBot } from "./contract-fixtures.ts";

export type Store = StateRepositories<WatchState>;

export interface Engine {
  /** A new, empty place for a store: a file path, or a database URL. */
  fresh(): Promise<string>;
  open(location: string, onError?: (err: Error) => void): Promise<Store>;
  /** How the engine's writes are made to fail and then succeed again (a full disk, a stopped server). */
  outage: Outage;
}

export interface Outage {
  /** What fails ("the disk is full", "the server is stopped"), for the test's name. */
  what: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new place for a store whose writes `begin` makes fail. */
  fresh(): Promise<string>;
  begin(): Promise<void>;
  end(): Promise<void>;
}

/** Files in a temporary directory (SQLite, lowdb); the outage is a full 4 MB tmpfs. */
export function fileEngine(fileName: string, open: Engine["open"]): Engine {
  let disk: ReadOnlyDisk | undefined;
  let free: (() => void) | undefined;
  return {
    fresh: async () => join(mkdtempSync(join(tmpdir(), "store-contract-")), fileName),
    open,
    outage: {
      what: "the disk is full",
      setup: async () => void (disk = mountTmpfs(4)),
      teardown: async () => {
        free?.();
        disk?.close();
      },
      fresh: async () => join(disk!.dir, fileName),
      begin: async () => void (free = fillDisk(disk!.dir)),
      end: async () => {
        free?.();
        free = undefined;
      },
    },
  };
}

const until = async (what: string, done: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Fills the disk under `dir` until a write fails with ENOSPC; returns how to free it again. */
function fillDisk(dir: string): () => void {
  const filler = join(dir, "filler");
  for (const size of [1 << 20, 4096, 1]) {
    const chunk = Buffer.alloc(size, 1);
    try {
      for (;;) writeFileSync(filler, chunk, { flag: "a" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
    }
  }
  return () => rmSync(filler, { force: true });
}

export function storeContract(engine: Engine): void {
  const fresh = () => engine.fresh();

  describe("key-value slices", () => {
    it("when values are put, replaced and deleted, then reads see exactly what is there, and deleting a missing key resolves", async () => {
      const store = await engine.open(await fresh());
      await store.results.put("anna", result("anna"));
      await store.results.put("bob", result("bob"));
      await store.results.put("anna", result("anna", "down"));
      await store.alerts.put("anna", alertState(2));
      await store.bots.put("carol", storedBot("carol"));
      await store.connections.put("anna", "bc-1");
      await store.connections.put("anna", "bc-2");
      expect(store.results.get("anna")).toEqual(result("anna", "down"));
      expect(store.results.has("bob")).toBe(true);
      expect(store.results.has("nobody")).toBe(false);
      expect(store.results.get("nobody")).toBeUndefined();
      expect([...store.results.entries()].map(([k]) => k).sort()).toEqual(["anna", "bob"]);
      expect([...store.results.values()].map((v) => v.name).sort()).toEqual(["anna", "bob"]);
      expect(store.alerts.get("anna")).toEqual(alertState(2));
      expect(store.bots.get("carol")).toEqual(storedBot("carol"));
      expect(store.connections.get("anna")).toBe("bc-2");
      await store.results.delete("bob");
      await store.results.delete("nobody");
      expect(store.results.has("bob")).toBe(false);
      await store.close();
    });
  });

  describe("list slices", () => {
    it("when records are added, updated and removed, then the list keeps the order they were added in and an update keeps a record's place", async () => {
      const store = await engine.open(await fresh());
      await store.outbox.add([outboxEntry("o-1"), outboxEntry("o-2")]);
      await store.outbox.add([outboxEntry("o-3")]);
      await store.outbox.add([]);
      await store.outbox.update(outboxEntry("o-1", 3));
      await store.outbox.update(outboxEntry("o-missing", 1));
      const snapshot = store.outbox.list();
      await store.outbox.remove("o-2");
      await store.outbox.remove("o-missing");
      expect(snapshot.map((e) => e.id)).toEqual(["o-1", "o-2", "o-3"]);
      expect(store.outbox.list().map((e) => e.id)).toEqual(["o-1", "o-3"]);
      expect(store.outbox.size).toBe(2);
      expect(store.outbox.get("o-1")?.attempts).toBe(3);
      expect(store.outbox.get("o-2")).toBeUndefined();
      await store.silences.add([silence("s-b"), silence("s-a")]);
      await store.silences.update(silence("s-b", "longer"));
      expect(store.silences.list().map((s) => [s.id, s.reason])).toEqual([["s-b", "longer"], ["s-a", "maintenance"]]);
      await store.close();
    });
  });

  describe("reopening", () => {
    it("when the store is closed and opened again, then every slice holds what it held, lists in their order", async () => {
      const path = await fresh();
      const store = await engine.open(path);
      void store.results.put("anna", result("anna", "down"));
      void store.alerts.put("anna", alertState(1));
      void store.bots.put("carol", storedBot("carol"));
      void store.connections.put("carol", "bc-9");
      void store.outbox.add([outboxEntry("o-2"), outboxEntry("o-1")]);
      void store.silences.add([silence("s-2"), silence("s-1")]);
      void store.outbox.update(outboxEntry("o-2", 4));
      await store.close();
      const again = await engine.open(path);
      expect(again.results.get("anna")).toEqual(result("anna", "down"));
      expect(again.alerts.get("anna")).toEqual(alertState(1));
      expect(again.bots.get("carol")).toEqual(storedBot("carol"));
      expect(again.connections.get("carol")).toBe("bc-9");
      expect(again.outbox.list()).toEqual([outboxEntry("o-2", 4), outboxEntry("o-1")]);
      expect(again.silences.list()).toEqual([silence("s-2"), silence("s-1")]);
      await again.close();
    });

    it("when a write's promise resolves, then a store opened on the file right then (the first never closed) sees it", async () => {
      const path = await fresh();
      const store = await engine.open(path);
      await store.outbox.add([outboxEntry("o-1")]);
      await store.bots.put("carol", storedBot("carol"));
      await store.silences.add([silence("s-1")]);
      const reader = await engine.open(path);
      expect(reader.outbox.list().map((e) => e.id)).toEqual(["o-1"]);
      expect(reader.bots.get("carol")).toEqual(storedBot("carol"));
      expect(reader.silences.get("s-1")).toEqual(silence("s-1"));
      await reader.close();
      await store.close();
    });
  });

  describe("durability bookkeeping", () => {
    it("when nothing was committed yet, then the store is not writable; after touch() it is, onWritten heard it, and a mark before a write is on disk once the write resolves", async () => {
      const store = await engine.open(await fresh());
      expect(store.writable).toBe(false);
      let heard = 0;
      const unsubscribe = store.onWritten(() => heard++);
      await store.touch();
      expect(store.writable).toBe(true);
      expect(heard).toBeGreaterThanOrEqual(1);
      const mark = store.mark();
      expect(store.isOnDisk(mark)).toBe(false);
      await store.outbox.add([outboxEntry("o-1")]);
      expect(store.isOnDisk(mark)).toBe(true);
      unsubscribe();
      const before = heard;
      await store.outbox.remove("o-1");
      expect(heard).toBe(before);
      await store.close();
    });
  });

  describe(`writes that fail: ${engine.outage.what}`, () => {
    const outage = engine.outage;
    beforeAll(() => outage.setup());
    afterAll(() => outage.teardown());

    it(`when ${outage.what}, then writes reject, the change stays in memory, writable is false and isOnDisk stays false; once it is back, the store commits it by itself`, async () => {
      const path = await outage.fresh();
      const errors: Error[] = [];
      const store = await engine.open(path, (err) => errors.push(err));
      await store.touch();
      await outage.begin();
      let ended = false;
      try {
        const mark = store.mark();
        await expect(store.outbox.add([outboxEntry("o-1")])).rejects.toThrow();
        await expect(store.bots.put("carol", storedBot("carol"))).rejects.toThrow();
        expect(store.outbox.get("o-1")).toEqual(outboxEntry("o-1"));
        expect(store.writable).toBe(false);
        expect(store.isOnDisk(mark)).toBe(false);
        expect(errors.length).toBeGreaterThan(0);
        let heard = 0;
        store.onWritten(() => heard++);
        await outage.end();
        ended = true;
        await until("a retried commit", () => heard > 0, 15_000);
        expect(store.writable).toBe(true);
        expect(store.isOnDisk(mark)).toBe(true);
      } finally {
        if (!ended) await outage.end();
      }
      await store.close();
      const again = await engine.open(path);
      expect(again.outbox.list().map((e) => e.id)).toEqual(["o-1"]);
      expect(again.bots.get("carol")).toEqual(storedBot("carol"));
      await again.close();
    });
  });
}
