/**
 * SQLite's own side of the history: the query plans. Everything the history records and answers is the
 * contract both engines pass (test/store/history-sqlite.test.ts, test/store/history/).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";

const dbs: SqliteDatabase[] = [];
function open() {
  const db = SqliteDatabase.open({ path: join(mkdtempSync(join(tmpdir(), "history-")), "history.db") });
  dbs.push(db);
  return { db };
}
afterEach(() => dbs.splice(0).forEach((db) => db.close()));

describe("SqliteHistory", () => {
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
