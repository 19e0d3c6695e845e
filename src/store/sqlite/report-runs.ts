import { REPORT_RUN_SQL, reportRunOf, type ReportRun, type ReportRuns } from "../report-runs.ts";
import type { SqliteDatabase } from "./database.ts";

/** The reports' calendar in the SQLite file: one statement each, committed on its own (it belongs to no sweep). */
export function sqliteReportRuns(db: SqliteDatabase): ReportRuns {
  // node:sqlite numbers its placeholders as PostgreSQL does ($1 is ?1).
  const sql = (text: string) => text.replace(/\$(\d)/g, "?$1");
  return {
    async get(name) {
      const row = db.get<{ schedule: string; last_sent_at: number | null; next_due_at: number }>(sql(REPORT_RUN_SQL.get), name);
      return row ? reportRunOf(row) : undefined;
    },
    async plan(name, run: ReportRun) {
      db.run(sql(REPORT_RUN_SQL.plan), name, run.schedule, run.lastSentAt, run.nextDueAt);
    },
    async claim(name, dueAt, run) {
      return db.run(sql(REPORT_RUN_SQL.claim), name, run.schedule, run.lastSentAt, run.nextDueAt, dueAt).changes === 1;
    },
  };
}
