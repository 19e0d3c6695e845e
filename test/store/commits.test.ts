/**
 * What the store writes and when, on the service's engine (SQLite; in the postgres project a PostgreSQL
 * database, test-store.ts): a sweep whose verdicts did not change commits nothing per bot, its sweep times
 * go in one batch, one synchronous step is one transaction, and a reopened store finds what was written.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { WatchState } from "../../src/watch-state.ts";
import { until } from "../support/service-harness.ts";
import { openTestStore } from "../support/test-store.ts";
import { testSql } from "../support/test-sql.ts";
import { alertState, outboxEntry, result } from "./contract-fixtures.ts";

const newDir = () => mkdtempSync(join(tmpdir(), "store-commits-"));
const at0 = "2026-11-24T12:00:00.000Z";
const later = "2026-11-24T12:01:00.000Z";
const bots = ["anna", "bob", "carol"];
const open = async (dir: string, bookkeepingIntervalMs?: number) => (await openTestStore(dir, bookkeepingIntervalMs === undefined ? {} : { bookkeepingIntervalMs })).store;

/** Every row of a table as the database holds it, by bot (read by a second connection, as a restart would). */
async function rows(dir: string, table: string): Promise<unknown[]> {
  const sql = await testSql(dir);
  try {
    return await sql.all(`SELECT * FROM ${table} ORDER BY bot`);
  } finally {
    await sql.close();
  }
}

/** A result whose checks ran `offsetMs` after the sweep started, as the monitor's sweeps do. */
function sweptAt(name: string, checkedAt: string, offsetMs: number): WatchState["results"] {
  const r = result(name, "healthy", checkedAt) as unknown as { checks: { at: string }[] };
  return { ...r, checks: r.checks.map((c) => ({ ...c, at: new Date(Date.parse(checkedAt) + offsetMs).toISOString() })) } as unknown as WatchState["results"];
}

describe("the store's commits", () => {
  it("when a sweep's verdicts did not change, then nothing is committed per bot; the new sweep times are in memory at once and stored after one batch", async () => {
    const dir = newDir();
    const store = await open(dir, 200);
    for (const bot of bots) void store.results.put(bot, result(bot));
    await store.results.put("anna", result("anna"));
    const commits = store.stats.writes;
    for (const bot of bots) await store.results.put(bot, result(bot, "healthy", later));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits);
    expect(store.results.get("bob")?.checkedAt).toBe(later);
    const before = await open(dir);
    expect(before.results.get("bob")?.checkedAt).toBe(result("bob").checkedAt);
    await before.close();
    await until("the bookkeeping batch", () => store.stats.writes > commits, 5000);
    expect(store.stats.writes).toBe(commits + 1);
    const after = await open(dir);
    for (const bot of bots) expect(after.results.get(bot)).toEqual(result(bot, "healthy", later));
    await after.close();
    await store.close();
  });

  it("when only a passing check's message moves (a count), then nothing is committed; when a failing check's message changes, it is", async () => {
    const store = await open(newDir());
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

  it("when only what the checks remember changes, then a young condition is not committed, one that stood 2.5 minutes is (once), and a close writes the rest", async () => {
    const dir = newDir();
    const store = await open(dir);
    const remembering = (checkedAt: string, webhookBacklog?: { since: string; count: number }) => {
      const r = result("anna", "healthy", checkedAt) as unknown as { observed: Record<string, unknown> };
      r.observed = { ...r.observed, ...(webhookBacklog && { remembered: { webhookBacklog } }) };
      return r as unknown as WatchState["results"];
    };
    const at = (s: number) => new Date(Date.parse(at0) + s * 1000).toISOString();
    await store.results.put("anna", remembering(at0));
    const commits = store.stats.writes;
    // A busy bot's backlog: it rises and falls by the sweep, never standing 2.5 minutes: nothing to write.
    for (const [s, since, count] of [[10, 10, 3], [20, 10, 4], [30, 30, 2], [40, 30, 5]] as const) await store.results.put("anna", remembering(at(s), { since: at(since), count }));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits);
    await store.results.put("anna", remembering(at(170), { since: at(30), count: 6 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits);
    // The same backlog has stood 2.5 minutes: its start is written once, not again as its count grows.
    await store.results.put("anna", remembering(at(180), { since: at(30), count: 7 }));
    expect(store.stats.writes).toBe(commits + 1);
    await store.results.put("anna", remembering(at(190), { since: at(30), count: 9 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(store.stats.writes).toBe(commits + 1);
    // A new backlog, young again: the row changes (the old start no longer holds), then the close writes the young one.
    await store.results.put("anna", remembering(at(200), { since: at(200), count: 2 }));
    expect(store.stats.writes).toBe(commits + 2);
    await store.results.put("anna", remembering(at(210), { since: at(200), count: 6 }));
    await store.close();
    const after = await open(dir);
    expect((after.results.get("anna") as unknown as { observed: unknown }).observed).toMatchObject({ remembered: { webhookBacklog: { since: at(200), count: 6 } } });
    await after.close();
  });

  it("when a firing alert's bad streak only grows, then nothing is committed; when anything else of it changes, it is", async () => {
    const store = await open(newDir());
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
    const store = await open(newDir());
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
    const store = await open(newDir());
    const commits = store.stats.writes;
    await Promise.all([store.alerts.put("anna", alertState(1)), store.outbox.add([outboxEntry("o-1")]), store.results.put("anna", result("anna"))]);
    expect(store.stats.writes).toBe(commits + 1);
    await store.close();
  });
});

describe("the store's sweep batch", () => {
  it("when the batch of sweep times is written, then only bot_sweeps rows change and every bot_results row is as it was", async () => {
    const dir = newDir();
    const store = await open(dir, 50);
    await Promise.all(bots.map((bot) => store.results.put(bot, result(bot))));
    const verdictRows = await rows(dir, "bot_results");
    const commits = store.stats.writes;
    for (const bot of bots) await store.results.put(bot, result(bot, "healthy", later));
    await until("the bookkeeping batch", () => store.stats.writes > commits, 5000);
    expect(store.stats.writes).toBe(commits + 1);
    expect(await rows(dir, "bot_results")).toEqual(verdictRows);
    expect(await rows(dir, "bot_sweeps")).toEqual(bots.map((bot) => ({ bot, checked_at: Date.parse(later) })));
    await store.close();
  });

  it("when a store reopens after a batch, then checkedAt is the batch's and each check's at moved forward with it, keeping its offset in the sweep", async () => {
    const dir = newDir();
    const store = await open(dir, 10_000);
    await store.results.put("anna", sweptAt("anna", at0, 400));
    void store.results.put("anna", sweptAt("anna", later, 250));
    await store.close(); // the due batch is written at close
    const reopened = await open(dir);
    const anna = reopened.results.get("anna") as unknown as { checkedAt: string; checks: { at: string; durationMs: number }[] };
    expect(anna.checkedAt).toBe(later);
    expect(anna.checks.map((c) => c.at)).toEqual(["2026-11-24T12:01:00.400Z"]);
    expect(anna.checks[0]!.durationMs).toBe(1.5);
    await reopened.close();
  });

  it("when a result is deleted, then its sweep row goes with it and a reopened store does not know the bot", async () => {
    const dir = newDir();
    const store = await open(dir);
    await store.results.put("anna", result("anna"));
    await store.results.delete("anna");
    await store.close();
    expect(await rows(dir, "bot_sweeps")).toEqual([]);
    const reopened = await open(dir);
    expect(reopened.results.has("anna")).toBe(false);
    await reopened.close();
  });
});
