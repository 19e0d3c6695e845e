import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { SqliteHistory } from "../../../src/store/sqlite/history.ts";
import { DailyUptime } from "../../../src/store/sqlite/rollups.ts";
import { dailyBar } from "../../../src/history/uptime.ts";
import { fillHistory, fixtureBotName } from "../../../bench/history-fixture.ts";

const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.parse("2026-06-01T13:37:00.000Z");
const TODAY = Math.floor(NOW / DAY) * DAY;
const dbs: SqliteDatabase[] = [];
function open() {
  const db = SqliteDatabase.open({ path: join(mkdtempSync(join(tmpdir(), "fleet-bars-")), "history.db") });
  dbs.push(db);
  return { db, history: new SqliteHistory(db) };
}
afterEach(() => dbs.splice(0).forEach((db) => db.close()));

/** The bar of one bot computed from its transitions alone: what every fleet read must equal. */
const exactBar = (history: SqliteHistory, bot: string, days: number, liveRun: number) => {
  const from = TODAY - (days - 1) * DAY;
  return dailyBar({ from, to: NOW, ...history.botWindow(bot, from, NOW, liveRun) });
};

describe("the fleet's bars (DailyUptime.bars, the page's one read)", () => {
  it("when every bot's bar is read at once, then each equals the bar computed from that bot's transitions", () => {
    const { db, history } = open();
    const { liveRun } = fillHistory(db, { bots: 30, days: 20, now: NOW, seed: 11 });
    history.recordHealth("newcomer", { at: NOW - 2 * H, health: "down" });
    const bars = new DailyUptime(db, history).bars(NOW, 30, undefined, liveRun);
    expect(bars.size).toBe(31);
    for (const bot of [...Array.from({ length: 30 }, (_, i) => fixtureBotName(i)), "newcomer"]) expect(bars.get(bot), bot).toEqual(exactBar(history, bot, 30, liveRun));
    // Down for the last 2 h, but for the monitor's own restart gap.
    expect(bars.get("newcomer")!.at(-1)).toMatchObject({ worst: "down", downMs: expect.any(Number) });
    expect(bars.get("newcomer")!.at(-1)!.downMs).toBeGreaterThan(H);
  });

  it("when only some bots are asked, then exactly those come back, a bot without history all grey", () => {
    const { db, history } = open();
    const { liveRun } = fillHistory(db, { bots: 20, days: 10, now: NOW, seed: 4 });
    const asked = [fixtureBotName(3), fixtureBotName(0), "nobody"];
    const bars = new DailyUptime(db, history).bars(NOW, 90, asked, liveRun);
    expect([...bars.keys()]).toEqual(asked);
    for (const bot of asked.slice(0, 2)) expect(bars.get(bot), bot).toEqual(exactBar(history, bot, 90, liveRun));
    expect(bars.get("nobody")).toHaveLength(90);
    expect(bars.get("nobody")!.every((c) => c.worst === null && c.knownMs === 0)).toBe(true);
    expect(bars.get("nobody")!.at(-1)!.date).toBe("2026-06-01");
  });

  it("when the rollups are days behind (the monitor was stopped), then the days not rolled up are computed exactly", () => {
    const { db, history } = open();
    const run = history.startRun(TODAY - 6 * DAY);
    history.recordHealth("anna", { at: TODAY - 6 * DAY + H, health: "healthy" });
    history.recordHealth("anna", { at: TODAY - 4 * DAY + 2 * H, health: "degraded" });
    history.recordHealth("anna", { at: TODAY - DAY + 3 * H, health: "down" });
    history.recordHealth("anna", { at: TODAY + H, health: "healthy" });
    const rollups = new DailyUptime(db, history);
    // Rolled up to the day before yesterday only; yesterday and today are not rolled up yet.
    rollups.rollUp(TODAY - DAY, run);
    expect(rollups.lastDay()).toBe(TODAY / DAY - 2);
    const bar = rollups.bars(NOW, 7, ["anna"], run).get("anna")!;
    expect(bar).toEqual(exactBar(history, "anna", 7, run));
    expect(bar.map((c) => c.worst)).toEqual(["healthy", "healthy", "degraded", "degraded", "degraded", "down", "down"]);
  });
});
