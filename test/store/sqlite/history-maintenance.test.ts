/**
 * The history's housekeeping on a database on disk: the heartbeat moves the run's known time forward,
 * pruning past the retention runs in the background at start, and a failure is logged and counted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.ts";
import { HistoryMaintenance } from "../../../src/store/history-maintenance.ts";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";

const logger = createLogger({ level: "silent" });
const DAY = 86_400_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "maintenance-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("HistoryMaintenance", () => {
  it("when it runs, then the run's heartbeat reaches the database every heartbeatMs, and a stop records the run's end", async () => {
    const store = await SqliteStore.open<WatchState>({ path: join(dir, "w.db") });
    const started = Date.now();
    store.history.begin(started);
    const maintenance = new HistoryMaintenance({ history: store.history, retentionMs: 180 * DAY, logger, heartbeatMs: 20 });
    maintenance.start();
    const heartbeat = () => store.history.database.get<{ heartbeat_at: number }>("SELECT heartbeat_at FROM monitor_runs WHERE id = ?", store.history.liveRun!)!.heartbeat_at;
    await expect.poll(heartbeat, { timeout: 2000 }).toBeGreaterThan(started + 40);
    maintenance.stop();
    await store.close();
    const reopened = await SqliteStore.open<WatchState>({ path: join(dir, "w.db") });
    const [run] = reopened.history.rows.runs(0, Date.now() + 1);
    expect(run!.stoppedAt).not.toBeNull();
    expect(run!.heartbeatAt).toBeGreaterThanOrEqual(run!.stoppedAt!);
    await reopened.close();
  });

  it("when it starts, then history older than the retention is pruned in the background, each bot keeping its state at the cut", async () => {
    const store = await SqliteStore.open<WatchState>({ path: join(dir, "w.db") });
    const now = Date.now();
    for (let i = 0; i < 1200; i++) store.history.recordHealth("anna", { at: now - 200 * DAY + i * 1000, health: i % 2 === 0 ? "down" : "healthy" });
    store.history.recordHealth("anna", { at: now - DAY, health: "degraded" });
    await store.flush();
    const maintenance = new HistoryMaintenance({ history: store.history, retentionMs: 180 * DAY, logger });
    maintenance.start();
    const count = () => store.history.database.get<{ n: number }>("SELECT COUNT(*) AS n FROM health_transitions")!.n;
    expect(count()).toBe(1201); // not in the start's own step: it runs batch by batch, later
    await expect.poll(count).toBe(2);
    expect(store.history.rows.botWindow("anna", now - 180 * DAY, now).before).toMatchObject({ health: "healthy" });
    maintenance.stop();
    await store.close();
  });

  it("when pruning fails, then it is logged and counted as a prune error, and the service goes on", async () => {
    const store = await SqliteStore.open<WatchState>({ path: join(dir, "w.db") });
    store.history.recordHealth("anna", { at: Date.now() - 400 * DAY, health: "down" });
    store.history.recordHealth("anna", { at: Date.now() - 300 * DAY, health: "healthy" });
    await store.flush();
    store.history.database.exec("CREATE TRIGGER refuse BEFORE DELETE ON health_transitions BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    const errors: string[] = [];
    const maintenance = new HistoryMaintenance({ history: store.history, retentionMs: 180 * DAY, logger, onError: (operation) => errors.push(operation) });
    maintenance.start();
    await expect.poll(() => errors).toEqual(["prune"]);
    maintenance.stop();
    await store.close();
  });
});
