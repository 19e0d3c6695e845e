import type pg from "pg";
import { REPORT_RUN_SQL, reportRunOf, type ReportRuns } from "../report-runs.ts";

/** The reports' calendar in the shared PostgreSQL: every replica reads it, the claim decides who sends. */
export function postgresReportRuns(pool: pg.Pool): ReportRuns {
  return {
    async get(name) {
      const { rows } = await pool.query<{ schedule: string; last_sent_at: string | null; next_due_at: string }>(REPORT_RUN_SQL.get, [name]);
      return rows[0] ? reportRunOf(rows[0]) : undefined;
    },
    async plan(name, run) {
      await pool.query(REPORT_RUN_SQL.plan, [name, run.schedule, run.lastSentAt, run.nextDueAt]);
    },
    async claim(name, dueAt, run) {
      const { rowCount } = await pool.query(REPORT_RUN_SQL.claim, [name, run.schedule, run.lastSentAt, run.nextDueAt, dueAt]);
      return rowCount === 1;
    },
  };
}
