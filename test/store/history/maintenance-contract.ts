import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.ts";
import { HistoryMaintenance } from "../../../src/store/history-maintenance.ts";
import type { HistoryEngine } from "./engine.ts";

const logger = createLogger({ level: "silent" });
const DAY = 86_400_000;

/**
 * The history's housekeeping on the engine `open` gives: the heartbeat moves the run's known time
 * forward, pruning past the retention runs in the background at start, and a failure is logged and counted.
 */
export function maintenanceContract(open: () => Promise<HistoryEngine>): void {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = async () => {
    const engine = await open();
    cleanups.push(() => engine.close());
    return engine;
  };

  describe("HistoryMaintenance", () => {
    it("when it runs, then the run's heartbeat reaches the database every heartbeatMs, and a stop records the run's end", async () => {
      const engine = await start();
      const { history, commit } = engine.monitor({ autoCommit: true });
      const started = Date.now();
      history.begin(started);
      const maintenance = new HistoryMaintenance({ history, retentionMs: 180 * DAY, logger, heartbeatMs: 20 });
      maintenance.start();
      cleanups.push(() => maintenance.stop());
      await expect.poll(async () => Number(await engine.value("SELECT MAX(heartbeat_at) FROM monitor_runs")), { timeout: 5000 }).toBeGreaterThan(started + 40);
      maintenance.stop();
      history.end(Date.now());
      await commit();
      const stopped = Number(await engine.value("SELECT stopped_at FROM monitor_runs"));
      expect(stopped).toBeGreaterThan(started);
      expect(Number(await engine.value("SELECT heartbeat_at FROM monitor_runs"))).toBeGreaterThanOrEqual(stopped);
    });

    it("when it starts, then history older than the retention is pruned in the background, each bot keeping its state at the cut", async () => {
      const engine = await start();
      const { history, commit } = engine.monitor();
      const now = Date.now();
      for (let i = 0; i < 1200; i++) history.recordHealth("anna", { at: now - 200 * DAY + i * 1000, health: i % 2 === 0 ? "down" : "healthy" });
      history.recordHealth("anna", { at: now - DAY, health: "degraded" });
      await commit();
      const maintenance = new HistoryMaintenance({ history, retentionMs: 180 * DAY, logger });
      maintenance.start();
      cleanups.push(() => maintenance.stop());
      const count = async () => Number(await engine.value("SELECT COUNT(*) FROM health_transitions"));
      expect(await count()).toBe(1201); // not in the start's own step: it runs batch by batch, later
      await expect.poll(count, { timeout: 20_000 }).toBe(2);
      expect(await engine.value("SELECT health FROM health_transitions ORDER BY at LIMIT 1")).toBe("healthy");
    }, 30_000);

    it("when pruning fails, then it is logged and counted as a prune error, and the service goes on", async () => {
      const engine = await start();
      const { history, commit } = engine.monitor();
      history.recordHealth("anna", { at: Date.now() - 400 * DAY, health: "down" });
      history.recordHealth("anna", { at: Date.now() - 300 * DAY, health: "healthy" });
      await commit();
      await engine.refuseDeletes();
      const errors: string[] = [];
      const maintenance = new HistoryMaintenance({ history, retentionMs: 180 * DAY, logger, onError: (operation) => errors.push(operation) });
      maintenance.start();
      cleanups.push(() => maintenance.stop());
      await expect.poll(() => errors, { timeout: 20_000 }).toEqual(["prune"]);
    }, 30_000);
  });
}
