import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { SqliteHistory } from "../../../src/store/sqlite/history.ts";
import { DailyUptime } from "../../../src/store/sqlite/rollups.ts";
import { prune } from "../../../src/store/sqlite/prune.ts";
import { dailyBar, durations, timeline, uptime } from "../../../src/history/uptime.ts";
import { incidentId } from "../../../src/history/incidents.ts";
import { fillHistory, fixtureBotName } from "../../../bench/history-fixture.ts";

const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.parse("2026-06-01T13:37:00.000Z");
const dbs: SqliteDatabase[] = [];
function open() {
  const db = SqliteDatabase.open({ path: join(mkdtempSync(join(tmpdir(), "history-")), "history.db") });
  dbs.push(db);
  return { db, history: new SqliteHistory(db) };
}
afterEach(() => dbs.splice(0).forEach((db) => db.close()));

describe("SqliteHistory", () => {
  it("when a bot's window is read, then it has the window's transitions, the one just before, its first sweep and the runs", () => {
    const { history } = open();
    const crashed = history.startRun(NOW - 10 * H);
    history.heartbeat(crashed, NOW - 6 * H); // then kill -9: no stop
    const live = history.startRun(NOW - 4 * H);
    history.recordHealth("anna", { at: NOW - 9 * H, health: "healthy" });
    history.recordHealth("anna", { at: NOW - 7 * H, health: "down", message: "connection disabled" });
    history.recordHealth("anna", { at: NOW - 2 * H, health: "healthy" });
    history.recordHealth("bob", { at: NOW - 3 * H, health: "down" });
    history.recordCheck({ bot: "anna", check: "connection", at: NOW - 2 * H, status: "ok" });
    const window = history.botWindow("anna", NOW - 5 * H, NOW, live);
    expect(window.before).toEqual({ at: NOW - 7 * H, health: "down", message: "connection disabled" });
    expect(window.transitions).toEqual([{ at: NOW - 2 * H, health: "healthy", message: null }]);
    expect(window.firstSeen).toBe(NOW - 9 * H);
    expect(window.checks).toEqual([{ bot: "anna", check: "connection", at: NOW - 2 * H, status: "ok", message: null }]);
    // The crashed run's last heartbeat is before the window: it is not in it. The live run lasts until now.
    expect(window.runs).toEqual([{ startedAt: NOW - 4 * H, heartbeatAt: NOW, stoppedAt: null }]);
    expect(history.runs(NOW - 7 * H, NOW, live)[0]).toEqual({ startedAt: NOW - 10 * H, heartbeatAt: NOW - 6 * H, stoppedAt: null });
    // Down from -5 h to -2 h, but the monitor was gone from -6 h to -4 h: 2 h down, 2 h healthy, 1 h gap.
    expect(uptime(durations({ from: NOW - 5 * H, to: NOW, ...window }))).toEqual({ up: 0.5, healthy: 0.5, known: 0.8 });
  });

  it("when the restarted monitor records a firing again, then the incident is one row with its notifications", () => {
    const { history } = open();
    const since = NOW - 3 * H;
    const fired = history.recordAlert({ at: since + 120_000, key: "anna", kind: "fired", severity: "degraded", since, checks: [{ check: "rights", status: "fail", message: "cannot reply" }] });
    history.recordNotification({ at: since + 130_000, alertKey: "anna", incidentId: fired.id, channel: "mail", kind: "firing", result: "failed", attempts: 1, error: "connection refused" });
    history.recordNotification({ at: since + 190_000, alertKey: "anna", incidentId: fired.id, channel: "mail", kind: "firing", result: "sent", attempts: 2 });
    history.recordAlert({ at: since + H, key: "anna", kind: "fired", severity: "degraded", since });
    history.recordAlert({ at: since + 2 * H, key: "anna", kind: "escalated", severity: "down", since });
    history.recordAlert({ at: NOW, key: "anna", kind: "resolved", severity: "down", since });
    history.recordAlert({ at: NOW - 10 * DAY, key: "bob", kind: "fired", severity: "down", since: NOW - 10 * DAY });
    const incidents = history.incidents({ bot: "anna" });
    expect(incidents).toEqual([
      {
        id: incidentId("anna", since), bot: "anna", start: since, firedAt: since + 120_000, end: NOW, worst: "down", silenced: false,
        checks: [{ check: "rights", status: "fail", message: "cannot reply" }],
        notifications: [
          { channel: "mail", kind: "firing", at: since + 130_000, result: "failed" },
          { channel: "mail", kind: "firing", at: since + 190_000, result: "sent" },
        ],
      },
    ]);
    expect(history.incidents().map((i) => i.bot)).toEqual(["anna", "bob"]);
    expect(history.incidents({ limit: 1 }).map((i) => i.bot)).toEqual(["anna"]);
    // Bob's is still open: it overlaps any later window.
    expect(history.incidents({ from: NOW - H, to: NOW + H }).map((i) => i.bot)).toEqual(["anna", "bob"]);
    expect(history.incidents({ from: NOW + H, to: NOW + 2 * H }).map((i) => i.bot)).toEqual(["bob"]);
    expect(history.notifications({ result: "failed" }).map((n) => n.error)).toEqual(["connection refused"]);
    expect(history.notifications({ channel: "telegram" })).toEqual([]);
  });

  it("when the audit log is read, then it is newest first, within the range and the limit", () => {
    const { history } = open();
    for (let i = 0; i < 5; i++) history.recordAudit({ at: NOW + i, tokenName: "ops", address: "10.0.0.1", method: "POST", route: "/api/v1/bots", bot: `b${i}`, summary: "bot registered" });
    expect(history.audit({ from: NOW + 1, to: NOW + 4, limit: 2 }).map((e) => e.bot)).toEqual(["b3", "b2"]);
  });

  it("when the fleet's uptime is read from rollups, then every bot's figures equal the exact ones from its transitions", () => {
    const { db, history } = open();
    const { liveRun } = fillHistory(db, { bots: 40, days: 20, now: NOW, seed: 7 });
    history.recordHealth("newcomer", { at: NOW - 2 * H, health: "degraded" });
    const windows = { "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY };
    const fleet = new DailyUptime(db, history).fleet(NOW, windows, liveRun);
    expect(fleet.size).toBe(41);
    for (const bot of [...Array.from({ length: 40 }, (_, i) => fixtureBotName(i)), "newcomer"]) {
      for (const [name, length] of Object.entries(windows)) {
        const exact = uptime(durations({ from: NOW - length, to: NOW, ...history.botWindow(bot, NOW - length, NOW, liveRun) }));
        const rolled = fleet.get(bot)?.[name];
        for (const key of ["up", "healthy", "known"] as const) {
          if (exact[key] === null) expect(rolled?.[key], `${bot} ${name} ${key}`).toBeNull();
          else expect(rolled?.[key], `${bot} ${name} ${key}`).toBeCloseTo(exact[key], 9);
        }
      }
    }
  });

  it("when a bot's bar is read from rollups, then it equals the bar computed from its transitions", () => {
    const { db, history } = open();
    const { liveRun } = fillHistory(db, { bots: 10, days: 20, now: NOW, seed: 3 });
    const rollups = new DailyUptime(db, history);
    for (const bot of [fixtureBotName(0), fixtureBotName(1)]) {
      const from = Math.floor(NOW / DAY) * DAY - 29 * DAY;
      expect(rollups.bar(bot, NOW, 30, liveRun)).toEqual(dailyBar({ from, to: NOW, ...history.botWindow(bot, from, NOW, liveRun) }));
    }
  });

  it("when history is pruned, then older rows go but each bot keeps the state it was in at the cut", () => {
    const { db, history } = open();
    const { liveRun } = fillHistory(db, { bots: 10, days: 20, now: NOW, seed: 5 });
    const cut = NOW - 7 * DAY;
    const before = Array.from({ length: 10 }, (_, i) => timeline({ from: cut, to: NOW, ...history.botWindow(fixtureBotName(i), cut, NOW, liveRun) }));
    const count = (sql: string) => db.get<{ n: number }>(sql, cut)!.n;
    const botsBeforeCut = count("SELECT COUNT(DISTINCT bot) AS n FROM health_transitions WHERE at < ?");
    expect(count("SELECT COUNT(*) AS n FROM health_transitions WHERE at < ?")).toBeGreaterThan(botsBeforeCut);
    expect(prune(db, cut, 50)).toBeGreaterThan(0);
    expect(count("SELECT COUNT(*) AS n FROM audit_log WHERE at < ?")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM notifications WHERE at < ?")).toBe(0);
    expect(count("SELECT COUNT(DISTINCT bot) AS n FROM health_transitions WHERE at < ?")).toBe(botsBeforeCut);
    expect(count("SELECT COUNT(*) AS n FROM health_transitions WHERE at < ?")).toBe(botsBeforeCut);
    const after = Array.from({ length: 10 }, (_, i) => timeline({ from: cut, to: NOW, ...history.botWindow(fixtureBotName(i), cut, NOW, liveRun) }));
    expect(after).toEqual(before);
  });

  it("when the pages' reads run, then each is answered from an index, never a table scan", () => {
    const { db } = open();
    const plans = [
      "SELECT at, health FROM health_transitions WHERE bot = 'a' AND at < 5 ORDER BY at DESC LIMIT 1",
      "SELECT at, health FROM health_transitions WHERE bot = 'a' AND at >= 1 AND at < 5 ORDER BY at, id",
      "SELECT bot, at, health FROM health_transitions WHERE at >= 1 AND at < 5 ORDER BY at",
      "SELECT * FROM incidents WHERE bot = 'a' AND start_at < 5 ORDER BY start_at DESC LIMIT 10",
      "SELECT * FROM incidents WHERE start_at < 5 ORDER BY start_at DESC LIMIT 10",
      "SELECT * FROM audit_log WHERE at >= 1 AND at < 5 ORDER BY at DESC LIMIT 10",
      "SELECT * FROM notifications WHERE at >= 1 AND at < 5 AND channel = 'mail' ORDER BY at DESC LIMIT 10",
      "SELECT * FROM daily_uptime WHERE day = 3",
      "SELECT * FROM daily_uptime WHERE bot = 'a' AND day >= 3",
    ];
    for (const sql of plans) {
      const detail = db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).map((r) => r.detail).join("; ");
      expect(detail, sql).toMatch(/USING (COVERING )?INDEX|USING PRIMARY KEY/);
      expect(detail, sql).not.toMatch(/^SCAN|; SCAN/);
    }
    // /status's open incidents walk the partial index of open ones only, never every incident by time.
    const openPlan = db.all<{ detail: string }>("EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE end_at IS NULL ORDER BY bot, start_at").map((r) => r.detail).join("; ");
    expect(openPlan).toBe("SCAN incidents USING INDEX incidents_open");
  });
});
