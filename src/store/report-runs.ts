/**
 * Where the reports keep their calendar (README, "Reports"; the `report_runs` table of both engines):
 * what the scheduler must remember across restarts and share across replicas.
 */
export interface ReportRun {
  /** The cron and time zone the next occurrence was planned with: another one plans afresh. */
  schedule: string;
  /** Epoch ms of the last report sent; null before the first. */
  lastSentAt: number | null;
  /** Epoch ms of the occurrence owed next. */
  nextDueAt: number;
}

export interface ReportRuns {
  get(name: string): Promise<ReportRun | undefined>;
  /** Plans `run` whatever was stored (a new report, a changed schedule). */
  plan(name: string, run: ReportRun): Promise<void>;
  /**
   * Moves the report from the occurrence `dueAt` on to `run`, only if it still owes `dueAt`: true for the
   * one caller (replica, or a second timer of the same process) that did, which is the one to send.
   */
  claim(name: string, dueAt: number, run: ReportRun): Promise<boolean>;
}

/** The statements, the same on both engines but for the placeholders. */
export const REPORT_RUN_SQL = {
  get: "SELECT schedule, last_sent_at, next_due_at FROM report_runs WHERE name = $1",
  plan: "INSERT INTO report_runs (name, schedule, last_sent_at, next_due_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule, last_sent_at = excluded.last_sent_at, next_due_at = excluded.next_due_at",
  claim: "UPDATE report_runs SET schedule = $2, last_sent_at = $3, next_due_at = $4 WHERE name = $1 AND next_due_at = $5",
} as const;

/** A row of either engine as a ReportRun (PostgreSQL's BIGINT arrives as a string). */
export function reportRunOf(row: { schedule: string; last_sent_at: number | string | bigint | null; next_due_at: number | string | bigint }): ReportRun {
  return { schedule: row.schedule, lastSentAt: row.last_sent_at === null ? null : Number(row.last_sent_at), nextDueAt: Number(row.next_due_at) };
}
