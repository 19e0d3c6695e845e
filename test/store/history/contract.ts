import { afterEach, describe, expect, it } from "vitest";
import { fixtureBotName } from "../../../bench/history-fixture.ts";
import { incidentId } from "../../../src/history/incidents.ts";
import { dailyBar, durations, uptime } from "../../../src/history/uptime.ts";
import type { HistoryEngine } from "./engine.ts";
import { exactWindow, replay, type Replayed } from "./replay.ts";

const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.parse("2026-06-01T13:37:00.000Z");
const TODAY = Math.floor(NOW / DAY) * DAY;

/**
 * The history's contract (README, "Storage and history"; SPEC §11), the same cases on every engine: what
 * the log records, the reader answers, the rollups equal the exact figures of history/uptime.ts, and
 * pruning keeps each bot's state at the cut. `open` gives a fresh database of the engine.
 */
export function historyContract(open: () => Promise<HistoryEngine>): void {
  let engine: HistoryEngine | undefined;
  const start = async () => (engine = await open());
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });
  const exactBar = (r: Replayed, bot: string, days: number) => {
    const from = TODAY - (days - 1) * DAY;
    return dailyBar(exactWindow(r.transitions.get(bot) ?? [], r.runs, from, NOW));
  };

  describe("the history's log and reads", () => {
    it("when a monitor crashed and another runs, then a bot's window counts the crashed run up to its last heartbeat and the rest as a gap", async () => {
      const e = await start();
      const crashed = e.monitor();
      crashed.history.begin(NOW - 10 * H);
      await crashed.commit();
      crashed.history.heartbeat(NOW - 6 * H); // then kill -9: no stop
      await crashed.commit();
      const { history, commit } = e.monitor();
      history.begin(NOW - 4 * H);
      history.recordHealth("anna", { at: NOW - 9 * H, health: "healthy" });
      history.recordHealth("anna", { at: NOW - 7 * H, health: "down", message: "connection disabled" });
      history.recordHealth("anna", { at: NOW - 2 * H, health: "healthy" });
      history.recordHealth("bob", { at: NOW - 3 * H, health: "down" });
      history.recordCheck({ bot: "anna", check: "connection", at: NOW - 2 * H, status: "ok" });
      await commit();
      // Down from -5 h to -2 h, but the monitor was gone from -6 h to -4 h: 2 h down, 2 h healthy, 1 h gap.
      const window = await history.botHistory("anna", NOW - 5 * H, NOW);
      expect(window.uptime).toEqual({ up: 0.5, healthy: 0.5, known: 0.8 });
      expect(window.health).toEqual([{ from: NOW - 4 * H, to: NOW - 2 * H, health: "down" }, { from: NOW - 2 * H, to: NOW, health: "healthy" }]);
      expect(window.gaps).toEqual([{ from: NOW - 5 * H, to: NOW - 4 * H }]);
      const longer = await history.botHistory("anna", NOW - 7 * H, NOW);
      expect(longer.health[0]).toEqual({ from: NOW - 7 * H, to: NOW - 6 * H, health: "down" });
      expect(longer.gaps).toEqual([{ from: NOW - 6 * H, to: NOW - 4 * H }]);
      expect(await history.botUptime("bob", NOW)).toMatchObject({ "24h": { up: 0, healthy: 0, known: 3 / 24 } });
    });

    it("when the restarted monitor records a firing again, then the incident is one row with its notifications", async () => {
      const e = await start();
      const { history, commit } = e.monitor();
      const since = NOW - 3 * H;
      const id = incidentId("anna", since);
      history.recordAlert({ at: since + 120_000, key: "anna", kind: "fired", severity: "degraded", since, checks: [{ check: "rights", status: "fail", message: "cannot reply" }] });
      history.recordNotification({ at: since + 130_000, alertKey: "anna", incidentId: id, channel: "mail", kind: "firing", result: "failed", attempts: 1, error: "connection refused" });
      history.recordNotification({ at: since + 190_000, alertKey: "anna", incidentId: id, channel: "mail", kind: "firing", result: "sent", attempts: 2 });
      await commit();
      history.recordAlert({ at: since + H, key: "anna", kind: "fired", severity: "degraded", since });
      history.recordAlert({ at: since + 2 * H, key: "anna", kind: "escalated", severity: "down", since });
      expect((await history.openIncident("anna"))?.worst).toBe("degraded"); // the escalation is not committed yet
      await commit();
      expect((await history.openIncident("anna"))?.worst).toBe("down");
      history.recordAlert({ at: NOW, key: "anna", kind: "resolved", severity: "down", since });
      history.recordAlert({ at: NOW - 10 * DAY, key: "bob", kind: "fired", severity: "down", since: NOW - 10 * DAY });
      await commit();
      expect(await history.incidents({ bot: "anna" })).toEqual([
        {
          id, bot: "anna", start: since, firedAt: since + 120_000, end: NOW, worst: "down", silenced: false,
          checks: [{ check: "rights", status: "fail", message: "cannot reply" }],
          notifications: [
            { channel: "mail", kind: "firing", at: since + 130_000, result: "failed" },
            { channel: "mail", kind: "firing", at: since + 190_000, result: "sent" },
          ],
        },
      ]);
      expect((await history.incidents({})).map((i) => i.bot)).toEqual(["anna", "bob"]);
      expect((await history.incidents({ limit: 1 })).map((i) => i.bot)).toEqual(["anna"]);
      // Bob's is still open: it overlaps any later window.
      expect((await history.incidents({ from: NOW - H, to: NOW + H })).map((i) => i.bot)).toEqual(["anna", "bob"]);
      expect((await history.incidents({ from: NOW + H, to: NOW + 2 * H })).map((i) => i.bot)).toEqual(["bob"]);
      expect([...(await history.openIncidents()).keys()]).toEqual(["bob"]);
      expect(await history.openIncident("anna")).toBeNull();
      expect((await history.notifications({ result: "failed" })).map((n) => n.error)).toEqual(["connection refused"]);
      expect(await history.notifications({ channel: "telegram" })).toEqual([]);
    });

    it("when the audit log is read, then it is newest first, within the range and the limit, and its writes ask for a durable commit", async () => {
      const e = await start();
      const { history, commit } = e.monitor();
      for (let i = 0; i < 5; i++) history.recordAudit({ at: NOW + i, tokenName: "ops", address: "10.0.0.1", method: "POST", route: "/api/v1/bots", bot: `b${i}`, summary: "bot registered" });
      expect(history.pending()).toEqual({ any: true, disk: true });
      await commit();
      expect(history.pending()).toEqual({ any: false, disk: false });
      expect((await history.audit({ from: NOW + 1, to: NOW + 4, limit: 2 })).map((a) => a.bot)).toEqual(["b3", "b2"]);
    });
  });

  describe("the rollups", () => {
    it("when the fleet's uptime is read from rollups, then every bot's figures equal the exact ones from its transitions", async () => {
      const e = await start();
      const r = await replay(e, { bots: 40, days: 20, now: NOW, seed: 7 });
      r.live.history.recordHealth("newcomer", { at: NOW - 2 * H, health: "degraded" });
      await r.live.commit();
      r.transitions.set("newcomer", [{ at: NOW - 2 * H, health: "degraded" }]);
      const fleet = await r.live.history.fleetUptime(NOW);
      expect(fleet.size).toBe(41);
      for (const bot of [...Array.from({ length: 40 }, (_, i) => fixtureBotName(i)), "newcomer"]) {
        for (const [name, length] of Object.entries({ "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY }) as ["24h" | "7d" | "30d", number][]) {
          const exact = uptime(durations(exactWindow(r.transitions.get(bot)!, r.runs, NOW - length, NOW)));
          const rolled = fleet.get(bot)?.[name];
          for (const key of ["up", "healthy", "known"] as const) {
            if (exact[key] === null) expect(rolled?.[key], `${bot} ${name} ${key}`).toBeNull();
            else expect(rolled?.[key], `${bot} ${name} ${key}`).toBeCloseTo(exact[key], 9);
          }
        }
      }
      const since = await r.live.history.fleetUptimeOver(NOW, 3 * DAY);
      expect(since.get("newcomer")).toEqual(uptime(durations(exactWindow(r.transitions.get("newcomer")!, r.runs, NOW - 3 * DAY, NOW))));
    });

    it("when a bot's bar is read from rollups, then it equals the bar computed from its transitions", async () => {
      const e = await start();
      const r = await replay(e, { bots: 10, days: 20, now: NOW, seed: 3 });
      for (const bot of [fixtureBotName(0), fixtureBotName(1)]) expect(await r.live.history.dailyBar(bot, NOW, 30)).toEqual(exactBar(r, bot, 30));
    });

    it("when every bot's bar is read at once, then each equals the bar computed from that bot's transitions", async () => {
      const e = await start();
      const r = await replay(e, { bots: 30, days: 20, now: NOW, seed: 11 });
      r.live.history.recordHealth("newcomer", { at: NOW - 2 * H, health: "down" });
      await r.live.commit();
      r.transitions.set("newcomer", [{ at: NOW - 2 * H, health: "down" }]);
      const bars = await r.live.history.fleetBars(NOW, 30);
      expect(bars.size).toBe(31);
      for (const bot of [...Array.from({ length: 30 }, (_, i) => fixtureBotName(i)), "newcomer"]) expect(bars.get(bot), bot).toEqual(exactBar(r, bot, 30));
      expect(bars.get("newcomer")!.at(-1)).toMatchObject({ worst: "down" });
      expect(bars.get("newcomer")!.at(-1)!.downMs).toBeGreaterThan(H);
    });

    it("when only some bots' bars are asked, then exactly those come back, a bot without history all grey", async () => {
      const e = await start();
      const r = await replay(e, { bots: 20, days: 10, now: NOW, seed: 4 });
      const asked = [fixtureBotName(3), fixtureBotName(0), "nobody"];
      const bars = await r.live.history.fleetBars(NOW, 90, asked);
      expect([...bars.keys()]).toEqual(asked);
      for (const bot of asked.slice(0, 2)) expect(bars.get(bot), bot).toEqual(exactBar(r, bot, 90));
      expect(bars.get("nobody")).toHaveLength(90);
      expect(bars.get("nobody")!.every((c) => c.worst === null && c.knownMs === 0)).toBe(true);
      expect(bars.get("nobody")!.at(-1)!.date).toBe("2026-06-01");
    });

    it("when the rollups are days behind (the monitor was stopped), then the days not rolled up are computed exactly", async () => {
      const e = await start();
      const { history, commit } = e.monitor();
      history.begin(TODAY - 6 * DAY);
      const transitions = [
        { at: TODAY - 6 * DAY + H, health: "healthy" as const },
        { at: TODAY - 4 * DAY + 2 * H, health: "degraded" as const },
        { at: TODAY - DAY + 3 * H, health: "down" as const },
        { at: TODAY + H, health: "healthy" as const },
      ];
      for (const t of transitions) history.recordHealth("anna", t);
      await commit();
      // Rolled up to the day before yesterday only; yesterday and today are not rolled up yet.
      expect(await history.rollUp(TODAY - DAY)).toBe(5);
      expect(await e.value("SELECT MAX(day) FROM daily_uptime")).toBe(TODAY / DAY - 2);
      const bar = (await history.fleetBars(NOW, 7, ["anna"])).get("anna")!;
      const runs = [{ startedAt: TODAY - 6 * DAY, heartbeatAt: NOW }];
      expect(bar).toEqual(dailyBar(exactWindow(transitions, runs, TODAY - 6 * DAY, NOW)));
      expect(bar.map((c) => c.worst)).toEqual(["healthy", "healthy", "degraded", "degraded", "degraded", "down", "down"]);
      expect(await history.dailyBar("anna", NOW, 7)).toEqual(bar);
    });
  });

  describe("retention", () => {
    it("when history is pruned, then older rows go but each bot keeps the state it was in at the cut", async () => {
      const e = await start();
      const r = await replay(e, { bots: 10, days: 20, now: NOW, seed: 5 });
      const cut = NOW - 7 * DAY;
      const windows = () => Promise.all(Array.from({ length: 10 }, (_, i) => r.live.history.botHistory(fixtureBotName(i), cut, NOW).then((w) => ({ health: w.health, gaps: w.gaps }))));
      const before = await windows();
      const count = async (sql: string) => Number(await e.value(sql, cut));
      const botsBeforeCut = await count("SELECT COUNT(DISTINCT bot) FROM health_transitions WHERE at < ?");
      expect(await count("SELECT COUNT(*) FROM health_transitions WHERE at < ?")).toBeGreaterThan(botsBeforeCut);
      let total = 0;
      for (let deleted = await r.live.history.pruneStep(cut, 50); deleted > 0; deleted = await r.live.history.pruneStep(cut, 50)) total += deleted;
      expect(total).toBeGreaterThan(0);
      expect(await count("SELECT COUNT(*) FROM audit_log WHERE at < ?")).toBe(0);
      expect(await count("SELECT COUNT(*) FROM notifications WHERE at < ?")).toBe(0);
      expect(await count("SELECT COUNT(DISTINCT bot) FROM health_transitions WHERE at < ?")).toBe(botsBeforeCut);
      expect(await count("SELECT COUNT(*) FROM health_transitions WHERE at < ?")).toBe(botsBeforeCut);
      expect(await windows()).toEqual(before);
    });
  });
}
