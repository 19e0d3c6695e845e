/**
 * The store and its history on a disk that takes no writes when the monitor starts (README, "A disk that
 * cannot be written"): the start succeeds with everything the database holds, the run's start and every
 * change wait in memory (`writable` false, commits retried), the start's rollup fails alone (logged and
 * counted), and once the disk takes writes again a retry commits all of it without a restart.
 */
import { appendFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.ts";
import { HistoryMaintenance } from "../../../src/store/history-maintenance.ts";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";
import { mountTmpfs, type ReadOnlyDisk } from "../../support/read-only-disk.ts";
import { outboxEntry } from "../contract-fixtures.ts";

const DAY = 86_400_000;
const logger = createLogger({ level: "silent" });
const cleanups: (() => Promise<void> | void)[] = [];
let disk: ReadOnlyDisk | undefined;
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  disk?.close();
  disk = undefined;
});

/** A database at `path` holding a queued notification and a health change two days ago (a day to roll up). */
async function databaseWithHistory(path: string): Promise<void> {
  const store = await SqliteStore.open<WatchState>({ path });
  await store.outbox.add([outboxEntry("o-1")]);
  store.history.recordHealth("anna", { at: Date.now() - 2 * DAY, health: "down" });
  await store.close();
}

/** Opens the store and starts it as the service does: the run's start, then the history's housekeeping. */
async function startStore(path: string) {
  const errors: Error[] = [];
  const maintenanceErrors: string[] = [];
  const startedAt = Date.now();
  const store = await SqliteStore.open<WatchState>({ path, retryIntervalMs: 50, onError: (err) => errors.push(err) });
  store.history.begin(startedAt);
  const maintenance = new HistoryMaintenance({ history: store.history, retentionMs: 180 * DAY, logger, onError: (op) => maintenanceErrors.push(op) });
  maintenance.start();
  cleanups.push(() => maintenance.stop(), () => store.close().catch(() => undefined));
  return { store, errors, maintenanceErrors, startedAt };
}

/** What another process reads in the file. */
function onDisk(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return {
      runs: (db.prepare("SELECT started_at FROM monitor_runs").all() as { started_at: number }[]).map((r) => r.started_at),
      connections: (db.prepare("SELECT bot FROM connections").all() as { bot: string }[]).map((r) => r.bot),
      rolledUpDays: (db.prepare("SELECT COUNT(*) AS n FROM daily_uptime").get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

describe("a store started on a disk that takes no writes", () => {
  it("when the disk is read-only at the start, then the store serves what it holds, not writable, and commits the run and the changes by itself once the disk is writable again", async () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "w.db");
    await databaseWithHistory(path);
    disk.readOnly();

    const { store, errors, maintenanceErrors, startedAt } = await startStore(path);
    expect(store.outbox.list().map((e) => e.id)).toEqual(["o-1"]);
    await expect(store.connections.put("anna", "bc-1")).rejects.toThrow(/read-only file system.*\(EROFS\)/);
    expect(store.writable).toBe(false);
    expect(store.connections.get("anna")).toBe("bc-1"); // served from memory meanwhile
    expect(errors[0]?.message).toMatch(/^database .*w\.db: read-only file system/);
    expect(maintenanceErrors).toEqual(["rollup"]);
    // The run counts from its start while its row cannot be written.
    expect(store.history.rows.runs(startedAt - 1, startedAt + 1000, store.history.liveRun)).toEqual([{ startedAt, heartbeatAt: startedAt + 1000, stoppedAt: null }]);

    disk.writable();
    await expect.poll(() => store.writable, { timeout: 3000 }).toBe(true);
    const after = onDisk(path);
    expect(after.runs).toContain(startedAt);
    expect(after.connections).toEqual(["anna"]);
  });

  it("when the disk is full at the start, then the store starts with what it holds, not writable, the rollup fails alone, and space freed lets the retry commit it all", async () => {
    disk = mountTmpfs(1);
    const path = join(disk.dir, "w.db");
    await databaseWithHistory(path);
    const filler = join(disk.dir, "filler");
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(4096));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }

    const { store, errors, maintenanceErrors, startedAt } = await startStore(path);
    expect(store.outbox.list().map((e) => e.id)).toEqual(["o-1"]);
    // The -shm could not be made: the file is open read-only, and each retry says why it cannot write.
    expect(store.history.database.readOnly).toBe(true);
    await expect(store.connections.put("anna", "bc-1")).rejects.toThrow(/^database .*w\.db: no space left on the disk \(ENOSPC\)$/);
    expect(store.writable).toBe(false);
    expect(errors[0]?.message).toMatch(/^database .*w\.db: no space left on the disk/);
    expect(maintenanceErrors).toEqual(["rollup"]);

    rmSync(filler);
    await expect.poll(() => store.writable, { timeout: 3000 }).toBe(true);
    const after = onDisk(path);
    expect(after.runs).toContain(startedAt);
    expect(after.connections).toEqual(["anna"]);
  });
});
