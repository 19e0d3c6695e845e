import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLegacyStateFile } from "../../../src/store/legacy-state-file.ts";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { importLegacyState } from "../../../src/store/sqlite/import-legacy.ts";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import { StateStore } from "../../../src/store/state-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";
import { alertState, outboxEntry, result, silence, storedBot } from "../contract-fixtures.ts";

const dbPath = () => join(mkdtempSync(join(tmpdir(), "sqlite-store-")), "secretary-watch.db");
const later = "2026-11-24T12:01:00.000Z";
const at0 = "2026-11-24T12:00:00.000Z";
const until = async (what: string, done: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A state file written by the current release's lowdb store, every slice in it. */
async function lowdbStateFile(path: string) {
  const store = await StateStore.open<WatchState>({ path, flushIntervalMs: 10 });
  void store.results.put("anna", result("anna", "down"));
  void store.alerts.put("anna", alertState(3));
  void store.bots.put("carol", storedBot("carol"));
  void store.connections.put("carol", "bc-1");
  void store.outbox.add([outboxEntry("o-2"), outboxEntry("o-1", 2)]);
  void store.silences.add([silence("s-2"), silence("s-1")]);
  await store.close();
}

function expectEverySlice(store: SqliteStore<WatchState>) {
  expect(store.results.get("anna")).toEqual(result("anna", "down"));
  expect(store.alerts.get("anna")).toEqual(alertState(3));
  expect(store.bots.get("carol")).toEqual(storedBot("carol"));
  expect(store.connections.get("carol")).toBe("bc-1");
  expect(store.outbox.list()).toEqual([outboxEntry("o-2"), outboxEntry("o-1", 2)]);
  expect(store.silences.list()).toEqual([silence("s-2"), silence("s-1")]);
}

describe("SqliteStore", () => {
  it("when a sweep's verdicts did not change, then nothing is committed per bot; the new sweep times are in memory at once and on disk after one batch", async () => {
    const path = dbPath();
    const store = await SqliteStore.open<WatchState>({ path, bookkeepingIntervalMs: 200 });
    const bots = ["anna", "bob", "carol"];
    for (const bot of bots) void store.results.put(bot, result(bot));
    await store.results.put("anna", result("anna"));
    const commits = store.stats.writes;
    for (const bot of bots) await store.results.put(bot, result(bot, "healthy", later));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits);
    expect(store.results.get("bob")?.checkedAt).toBe(later);
    const before = await SqliteStore.open<WatchState>({ path });
    expect(before.results.get("bob")?.checkedAt).toBe(result("bob").checkedAt);
    await before.close();
    await until("the bookkeeping batch", () => store.stats.writes > commits);
    expect(store.stats.writes).toBe(commits + 1);
    const after = await SqliteStore.open<WatchState>({ path });
    for (const bot of bots) expect(after.results.get(bot)).toEqual(result(bot, "healthy", later));
    await after.close();
    await store.close();
  });

  it("when only a passing check's message moves (a count), then nothing is committed; when a failing check's message changes, it is", async () => {
    const store = await SqliteStore.open<WatchState>({ path: dbPath() });
    const withMessage = (health: string, message: string, checkedAt: string) => {
      const r = result("anna", health, checkedAt) as unknown as { checks: { message: string }[] };
      r.checks[0]!.message = message;
      return r as unknown as WatchState["results"];
    };
    await store.results.put("anna", withMessage("healthy", "3 updates pending", at0));
    const commits = store.stats.writes;
    await store.results.put("anna", withMessage("healthy", "5 updates pending", later));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits);
    expect((store.results.get("anna") as unknown as { checks: { message: string }[] }).checks[0]!.message).toBe("5 updates pending");
    await store.results.put("anna", withMessage("down", "webhook delivery failed at 2026-11-24T11:59:00Z: 502", later));
    await store.results.put("anna", withMessage("down", "webhook delivery failed at 2026-11-24T12:00:30Z: 502", later));
    expect(store.stats.writes).toBe(commits + 2);
    await store.close();
  });

  it("when a firing alert's bad streak only grows, then nothing is committed; when anything else of it changes, it is", async () => {
    const store = await SqliteStore.open<WatchState>({ path: dbPath() });
    const firing = (badStreak: number, goodStreak = 0) =>
      ({ badStreak, badSince: at0, badWorst: "down", goodStreak, firing: { since: at0, severity: "down", notified: { severity: "down", at: at0 }, firedAt: at0 } }) as unknown as WatchState["alerts"];
    await store.alerts.put("anna", firing(2));
    const commits = store.stats.writes;
    for (let streak = 3; streak < 10; streak++) await store.alerts.put("anna", firing(streak));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits);
    expect(store.alerts.get("anna")).toMatchObject({ badStreak: 9 });
    await store.alerts.put("anna", firing(0, 1));
    expect(store.stats.writes).toBe(commits + 1);
    // Not firing yet, the streak is what decides: each step is written.
    await store.alerts.put("bob", alertState(1));
    await store.alerts.put("bob", alertState(2));
    expect(store.stats.writes).toBe(commits + 3);
    await store.close();
  });

  it("when a verdict changes or an alert state is put unchanged, then the first is committed at once and the second writes nothing", async () => {
    const store = await SqliteStore.open<WatchState>({ path: dbPath() });
    await store.results.put("anna", result("anna"));
    await store.alerts.put("anna", alertState(1));
    const commits = store.stats.writes;
    await store.alerts.put("anna", alertState(1));
    expect(store.stats.writes).toBe(commits);
    await store.results.put("anna", result("anna", "down", later));
    expect(store.stats.writes).toBe(commits + 1);
    await store.close();
  });

  it("when changes are made in one synchronous step, then they are committed in one transaction", async () => {
    const store = await SqliteStore.open<WatchState>({ path: dbPath() });
    const commits = store.stats.writes;
    await Promise.all([store.alerts.put("anna", alertState(1)), store.outbox.add([outboxEntry("o-1")]), store.results.put("anna", result("anna"))]);
    expect(store.stats.writes).toBe(commits + 1);
    await store.close();
  });

  it("when store.path holds a lowdb state file of the current release, then it is imported whole, kept as *.imported, and the path is the database", async () => {
    const path = dbPath();
    await lowdbStateFile(path);
    const json = readFileSync(path, "utf8");
    const store = await SqliteStore.open<WatchState>({ path });
    expectEverySlice(store);
    expect(store.imported).toMatchObject({ outbox: 2, silences: 2, bots: 1 });
    await store.close();
    expect(readFileSync(`${path}.imported`, "utf8")).toBe(json);
    expect(readFileSync(path).subarray(0, 15).toString()).toBe("SQLite format 3");
    expect(existsSync(`${path}.tmp-db`)).toBe(false);
    const again = await SqliteStore.open<WatchState>({ path });
    expectEverySlice(again);
    expect(again.imported).toBeUndefined();
    await again.close();
  });

  it("when a start was stopped after the JSON was renamed but before the staged database was moved, then the next start finishes the move and loses nothing", async () => {
    const path = dbPath();
    await lowdbStateFile(path);
    const staged = SqliteDatabase.open({ path: `${path}.tmp-db` });
    importLegacyState(staged, (await readLegacyStateFile(path))!);
    staged.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    staged.close();
    renameSync(path, `${path}.imported`);
    const store = await SqliteStore.open<WatchState>({ path });
    expectEverySlice(store);
    await store.close();
    expect(existsSync(`${path}.tmp-db`)).toBe(false);
  });

  it("when a start was stopped before the JSON was renamed, then the staged leftover is discarded and the JSON imported again", async () => {
    const path = dbPath();
    await lowdbStateFile(path);
    writeFileSync(`${path}.tmp-db`, "half a database");
    const store = await SqliteStore.open<WatchState>({ path });
    expectEverySlice(store);
    await store.close();
    expect(existsSync(`${path}.imported`)).toBe(true);
  });
});
