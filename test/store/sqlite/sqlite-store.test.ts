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

describe("SqliteStore and the earlier state file", () => {
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
