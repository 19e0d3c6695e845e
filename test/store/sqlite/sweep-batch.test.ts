import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initial } from "../../../src/store/migrations/001-initial.ts";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";
import { result } from "../contract-fixtures.ts";

const dbPath = () => join(mkdtempSync(join(tmpdir(), "sweep-batch-")), "secretary-watch.db");
const later = "2026-11-24T12:01:00.000Z";
const bots = ["anna", "bob", "carol"];

/** Every row of a table as the file holds it (read by a second connection, as a restart would). */
function rows(path: string, table: string): unknown[] {
  const db = SqliteDatabase.open({ path });
  try {
    return db.all(`SELECT * FROM ${table} ORDER BY bot`);
  } finally {
    db.close();
  }
}

/** A result whose checks ran `offsetMs` after the sweep started, as the monitor's sweeps do. */
function sweptAt(name: string, checkedAt: string, offsetMs: number): WatchState["results"] {
  const r = result(name, "healthy", checkedAt) as unknown as { checks: { at: string }[] };
  return { ...r, checks: r.checks.map((c) => ({ ...c, at: new Date(Date.parse(checkedAt) + offsetMs).toISOString() })) } as unknown as WatchState["results"];
}

describe("SqliteStore sweep batch", () => {
  it("when the batch of sweep times is written, then only bot_sweeps rows change and every bot_results row is as it was", async () => {
    const path = dbPath();
    const store = await SqliteStore.open<WatchState>({ path, bookkeepingIntervalMs: 50 });
    await Promise.all(bots.map((bot) => store.results.put(bot, result(bot))));
    const verdictRows = rows(path, "bot_results");
    const commits = store.stats.writes;
    for (const bot of bots) await store.results.put(bot, result(bot, "healthy", later));
    const deadline = Date.now() + 5000;
    while (store.stats.writes === commits && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(store.stats.writes).toBe(commits + 1);
    expect(rows(path, "bot_results")).toEqual(verdictRows);
    expect(rows(path, "bot_sweeps")).toEqual(bots.map((bot) => ({ bot, checked_at: Date.parse(later) })));
    await store.close();
  });

  it("when a store reopens after a batch, then checkedAt is the batch's and each check's at moved forward with it, keeping its offset in the sweep", async () => {
    const path = dbPath();
    const store = await SqliteStore.open<WatchState>({ path, bookkeepingIntervalMs: 10_000 });
    await store.results.put("anna", sweptAt("anna", "2026-11-24T12:00:00.000Z", 400));
    void store.results.put("anna", sweptAt("anna", later, 250));
    await store.close(); // the due batch is written at close
    const reopened = await SqliteStore.open<WatchState>({ path });
    const anna = reopened.results.get("anna") as unknown as { checkedAt: string; checks: { at: string; durationMs: number }[] };
    expect(anna.checkedAt).toBe(later);
    expect(anna.checks.map((c) => c.at)).toEqual(["2026-11-24T12:01:00.400Z"]);
    expect(anna.checks[0]!.durationMs).toBe(1.5);
    await reopened.close();
  });

  it("when a result is deleted, then its sweep row goes with it and a reopened store does not know the bot", async () => {
    const path = dbPath();
    const store = await SqliteStore.open<WatchState>({ path });
    await store.results.put("anna", result("anna"));
    await store.results.delete("anna");
    await store.close();
    expect(rows(path, "bot_sweeps")).toEqual([]);
    const reopened = await SqliteStore.open<WatchState>({ path });
    expect(reopened.results.has("anna")).toBe(false);
    await reopened.close();
  });

  it("when a database written by schema 1 (no sweep rows) is opened, then it is migrated and each result keeps the checkedAt of its bot_results row", async () => {
    const path = dbPath();
    const old = SqliteDatabase.open({ path, migrations: [initial] });
    const anna = result("anna", "healthy", later);
    old.run("INSERT INTO bot_results (bot, health, since, checked_at, status) VALUES (?, ?, ?, ?, ?)", "anna", "healthy", "2026-11-24T12:00:00.000Z", later, JSON.stringify(anna));
    old.close();
    const store = await SqliteStore.open<WatchState>({ path });
    expect(store.results.get("anna")).toEqual(anna);
    await store.close();
  });
});
