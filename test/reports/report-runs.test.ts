import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { postgresReportRuns } from "../../src/store/postgres/report-runs.ts";
import type { ReportRuns } from "../../src/store/report-runs.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { sqliteReportRuns } from "../../src/store/sqlite/report-runs.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { testDatabaseUrl } from "../support/test-database.ts";

/** The reports' calendar on each engine, migrated as the service migrates it. */
const ENGINES: Array<{ name: string; open(): Promise<{ runs: ReportRuns; close(): Promise<void> }> }> = [
  {
    name: "SQLite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "report-runs-"));
      const db = SqliteDatabase.open({ path: join(dir, "watch.db") });
      return { runs: sqliteReportRuns(db), close: async () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const store = await PostgresStore.open<WatchState>({ url: await testDatabaseUrl(), replica: "r1" });
      return { runs: postgresReportRuns(store.pool), close: () => store.close() };
    },
  },
];

const T = Date.parse("2026-11-30T09:00:00Z");
const WEEK = 7 * 86_400_000;

describe.each(ENGINES)("report runs on $name", (engine) => {
  it("when a report is planned, claimed once and claimed again for the same occurrence, then only the first claim wins and the row says what it sent", async () => {
    const { runs, close } = await engine.open();
    try {
      expect(await runs.get("weekly")).toBeUndefined();
      await runs.plan("weekly", { schedule: "0 9 * * MON UTC", lastSentAt: null, nextDueAt: T });
      expect(await runs.get("weekly")).toEqual({ schedule: "0 9 * * MON UTC", lastSentAt: null, nextDueAt: T });
      const sent = { schedule: "0 9 * * MON UTC", lastSentAt: T + 5, nextDueAt: T + WEEK };
      // Two replicas (or a timer and a catch-up) claim the occurrence T: one sends.
      const claims = await Promise.all([runs.claim("weekly", T, sent), runs.claim("weekly", T, sent)]);
      expect(claims.sort()).toEqual([false, true]);
      expect(await runs.get("weekly")).toEqual(sent);
      // A claim of an occurrence no longer owed changes nothing.
      expect(await runs.claim("weekly", T, { ...sent, nextDueAt: T + 2 * WEEK })).toBe(false);
      expect(await runs.get("weekly")).toEqual(sent);
      // A new schedule is planned over the old row, keeping nothing but what it is given.
      await runs.plan("weekly", { schedule: "0 8 * * * UTC", lastSentAt: T + 5, nextDueAt: T + 86_400_000 });
      expect(await runs.get("weekly")).toEqual({ schedule: "0 8 * * * UTC", lastSentAt: T + 5, nextDueAt: T + 86_400_000 });
      expect(await runs.get("daily")).toBeUndefined();
    } finally {
      await close();
    }
  });
});
