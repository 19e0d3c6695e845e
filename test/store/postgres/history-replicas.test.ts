/**
 * The history on PostgreSQL with replicas (README, "Deployment: replicas"): the fleet is known while any
 * replica runs (the union of their runs), housekeeping runs on one replica at a time (an advisory lock the
 * others skip), a rollup run twice changes nothing, and a commit that fails keeps the writes queued.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fixtureBotName } from "../../../bench/history-fixture.ts";
import { DAY_MS, utcDay } from "../../../src/history/spans.ts";
import { dailyBar, durations, uptime } from "../../../src/history/uptime.ts";
import { createLogger } from "../../../src/log.ts";
import { HistoryMaintenance } from "../../../src/store/history-maintenance.ts";
import type { PostgresHistoryStore } from "../../../src/store/postgres/history-store.ts";
import { HOUSEKEEPING_LOCK } from "../../../src/store/postgres/history-housekeeping.ts";
import { inTransaction } from "../../../src/store/postgres/pool.ts";
import { postgresEngine, type PostgresEngine } from "../history/postgres-engine.ts";
import { exactWindow, replay } from "../history/replay.ts";

const H = 3_600_000;
const NOW = Date.parse("2026-06-01T13:37:00.000Z");
const TODAY = utcDay(NOW) * DAY_MS;
const logger = createLogger({ level: "silent" });

const engines: PostgresEngine[] = [];
const open = async () => {
  const engine = await postgresEngine();
  engines.push(engine);
  return engine;
};
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

/** Every rolled-up row, in one string: what a second rollup must leave as it was. */
const rollups = (engine: PostgresEngine) =>
  engine.value(`SELECT md5(coalesce((SELECT string_agg(d::text, ',' ORDER BY day, bot) FROM daily_uptime d), '') || coalesce((SELECT string_agg(f::text, ',' ORDER BY day) FROM fleet_uptime f), '') || coalesce((SELECT string_agg(b::text, ',' ORDER BY id) FROM uptime_bots b), ''))`);

describe("PostgreSQL history with replicas", () => {
  it("when two replicas' runs overlap and one is killed, then the fleet is known while the other ran: no gap, rolled up or not", async () => {
    const engine = await open();
    // Replica a from yesterday 02:00, killed (last heartbeat) at 12:00; replica b from yesterday 08:00, running now.
    const a = engine.monitor({ replica: "a" });
    const b = engine.monitor({ replica: "b" });
    a.history.begin(TODAY - 22 * H);
    b.history.begin(TODAY - 16 * H);
    await Promise.all([a.commit(), b.commit()]);
    a.history.heartbeat(TODAY - 12 * H);
    await a.commit();
    b.history.recordHealth("anna", { at: TODAY - 23 * H, health: "healthy" });
    b.history.recordHealth("anna", { at: TODAY - 10 * H, health: "down" });
    b.history.recordHealth("anna", { at: TODAY - 9 * H, health: "healthy" });
    b.history.heartbeat(NOW - 30_000);
    await b.commit();
    const transitions = [{ at: TODAY - 23 * H, health: "healthy" as const }, { at: TODAY - 10 * H, health: "down" as const }, { at: TODAY - 9 * H, health: "healthy" as const }];
    const runs = [{ startedAt: TODAY - 22 * H, heartbeatAt: TODAY - 12 * H }, { startedAt: TODAY - 16 * H, heartbeatAt: NOW }];
    const from = TODAY - 23 * H;

    const window = await b.history.botHistory("anna", from, NOW);
    expect(window.gaps).toEqual([{ from, to: TODAY - 22 * H }]); // before any replica ran; none after
    expect(window.health).toContainEqual({ from: TODAY - 10 * H, to: TODAY - 9 * H, health: "down" });
    const exact24h = uptime(durations(exactWindow(transitions, runs, NOW - 24 * H, NOW)));
    expect((await b.history.fleetUptime(NOW)).get("anna")?.["24h"]).toEqual(exact24h);
    expect(await b.history.rollUp(NOW)).toBe(1);
    expect((await b.history.fleetUptime(NOW)).get("anna")?.["24h"]).toEqual(exact24h);
    expect(await b.history.dailyBar("anna", NOW, 2)).toEqual(dailyBar(exactWindow(transitions, runs, TODAY - DAY_MS, NOW)));
    // Yesterday is known from 02:00 on: a's run alone, then both, then b's.
    expect(Number(await engine.value("SELECT known_ms FROM daily_uptime WHERE bot = 'anna' AND day = ?", utcDay(NOW) - 1))).toBe(22 * H);

    // A reader that runs nothing itself (a replica just started) knows b's run up to its last heartbeat.
    const reader = engine.monitor({ replica: "c" });
    expect((await reader.history.botHistory("anna", TODAY, NOW)).gaps).toEqual([{ from: NOW - 30_000, to: NOW }]);
  });

  it("when another replica holds the housekeeping lock, then rollup and pruning skip and write nothing; once it is free they run", async () => {
    const engine = await open();
    const r = await replay(engine, { bots: 5, days: 6, now: NOW }, { rollUp: false });
    await inTransaction(engine.pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [HOUSEKEEPING_LOCK]);
      expect(await r.live.history.rollUp(NOW)).toBe(0);
      expect(await r.live.history.pruneStep(NOW, 100)).toBe(0);
    });
    expect(Number(await engine.value("SELECT COUNT(*) FROM daily_uptime"))).toBe(0);
    expect(Number(await engine.value("SELECT COUNT(*) FROM health_transitions"))).toBeGreaterThan(0);
    expect(await r.live.history.rollUp(NOW)).toBe(utcDay(NOW) - utcDay(NOW - 6 * DAY_MS));
  });

  it("when two replicas roll up and prune at once, then each day is rolled up once, the totals are the exact ones, and a rollup run again changes nothing", async () => {
    const engine = await open();
    const r = await replay(engine, { bots: 12, days: 15, now: NOW, seed: 9 }, { rollUp: false });
    const other = engine.monitor({ replica: "other" });
    other.history.begin(NOW - 60_000);
    await other.commit();
    const due = utcDay(NOW) - utcDay(NOW - 15 * DAY_MS);
    const rolled = await Promise.all([r.live.history.rollUp(NOW), other.history.rollUp(NOW)]);
    expect(rolled[0] + rolled[1]).toBe(due);
    expect(Number(await engine.value("SELECT COUNT(DISTINCT day) FROM fleet_uptime"))).toBe(due);
    const fleet = await r.live.history.fleetUptime(NOW);
    for (let i = 0; i < 12; i++) {
      const bot = fixtureBotName(i);
      const exact = uptime(durations(exactWindow(r.transitions.get(bot)!, r.runs, NOW - 7 * DAY_MS, NOW)));
      for (const key of ["up", "healthy", "known"] as const) expect(fleet.get(bot)?.["7d"][key], `${bot} ${key}`).toBeCloseTo(exact[key]!, 9);
    }
    const before = await rollups(engine);
    expect(await Promise.all([r.live.history.rollUp(NOW), other.history.rollUp(NOW)])).toEqual([0, 0]);
    expect(await rollups(engine)).toBe(before);

    // Both replicas' housekeeping started at once: pruning to a cut 5 days back deletes each row once, no error.
    const errors: string[] = [];
    const cutMs = 5 * DAY_MS;
    const maintenances = [r.live, other].map((m) => new HistoryMaintenance({ history: m.history, retentionMs: Date.now() - (NOW - cutMs), logger, onError: (op) => errors.push(op) }));
    const windows = () => r.live.history.botHistory(fixtureBotName(0), NOW - cutMs, NOW);
    const kept = await windows();
    maintenances.forEach((m) => m.start());
    const old = () => engine.value("SELECT COUNT(*) FROM health_transitions WHERE at < ?", NOW - cutMs).then(Number);
    await expect.poll(old, { timeout: 20_000 }).toBeLessThanOrEqual(12);
    maintenances.forEach((m) => m.stop());
    expect(errors).toEqual([]);
    expect(await windows()).toEqual(kept);
  }, 60_000);

  it("when a commit fails after writeQueued, then the writes stay queued and the retry writes each once", async () => {
    const engine = await open();
    const { history, commit } = engine.monitor();
    history.begin(NOW - H);
    history.recordHealth("anna", { at: NOW - H, health: "down" });
    history.recordAudit({ at: NOW, tokenName: "ops", address: "10.0.0.1", method: "POST", route: "/api/v1/bots", summary: "bot registered" });
    await expect(inTransaction(engine.pool, async (client) => {
      expect(await (history as PostgresHistoryStore).writeQueued(client)).toBe(3);
      throw new Error("the server went away before COMMIT");
    })).rejects.toThrow(/went away/);
    expect(history.pending()).toEqual({ any: true, disk: true });
    expect(Number(await engine.value("SELECT COUNT(*) FROM health_transitions"))).toBe(0);
    await commit();
    expect(history.pending()).toEqual({ any: false, disk: false });
    expect(Number(await engine.value("SELECT COUNT(*) FROM health_transitions"))).toBe(1);
    expect(Number(await engine.value("SELECT COUNT(*) FROM monitor_runs"))).toBe(1);
    expect(Number(await engine.value("SELECT COUNT(*) FROM audit_log"))).toBe(1);
    history.heartbeat(NOW);
    await commit();
    expect(Number(await engine.value("SELECT heartbeat_at FROM monitor_runs"))).toBe(NOW);
    expect(await engine.value("SELECT replica FROM monitor_runs")).toMatch(/^replica-/);
  });
});
