import type { Migration } from "./migration.ts";

/**
 * Reports on a calendar (README, "Reports"): per report, the schedule it was planned with (cron and time
 * zone), when it was last sent, and the next occurrence it owes (epoch ms). A report whose occurrence
 * passed while the monitor was down is sent once at the next start, however many passed; a changed
 * schedule starts again from its next occurrence. Replicas share the rows: the replica that moves
 * `next_due_at` on (a compare-and-set) is the one that sends.
 */
export const reportRuns: Migration = {
  version: 6,
  name: "report runs",
  sqlite: `
    CREATE TABLE report_runs (
      name TEXT PRIMARY KEY,
      schedule TEXT NOT NULL,
      last_sent_at INTEGER,
      next_due_at INTEGER NOT NULL
    );
  `,
  postgres: `
    CREATE TABLE report_runs (
      name TEXT PRIMARY KEY,
      schedule TEXT NOT NULL,
      last_sent_at BIGINT,
      next_due_at BIGINT NOT NULL
    );
  `,
};
