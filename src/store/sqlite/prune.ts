import { utcDay } from "../../history/spans.ts";
import type { SqliteDatabase } from "./database.ts";

/**
 * Retention (`store.retention`, default 180 d): history older than the cut is deleted in small batches,
 * each its own short transaction, so pruning never holds the write lock long and can run in the
 * background between sweeps (`pruneStep` until it returns 0, yielding in between).
 *
 * Kept whatever their age: each bot's last health transition before the cut and each check's last status
 * change before it (the next window starts in that state), incidents still open, the running totals of
 * the day before the cut (a window's full days subtract them; `fleet_uptime` holds the same), the bots'
 * numbers (`uptime_bots`: the packed days are indexed by them), and the run that is still going.
 */
const DELETIONS = (cut: number): { table: string; where: string; params: number[] }[] => [
  {
    table: "health_transitions",
    where: `at < ? AND EXISTS (SELECT 1 FROM health_transitions later WHERE later.bot = t.bot AND later.at < ?
             AND (later.at > t.at OR (later.at = t.at AND later.id > t.id)))`,
    params: [cut, cut],
  },
  {
    table: "check_transitions",
    where: `at < ? AND EXISTS (SELECT 1 FROM check_transitions later WHERE later.bot = t.bot AND later.check_name = t.check_name
             AND later.at < ? AND (later.at > t.at OR (later.at = t.at AND later.id > t.id)))`,
    params: [cut, cut],
  },
  { table: "alert_events", where: "at < ? AND incident_id IN (SELECT id FROM incidents WHERE end_at IS NOT NULL AND end_at < ?)", params: [cut, cut] },
  { table: "notifications", where: "at < ?", params: [cut] },
  { table: "audit_log", where: "at < ?", params: [cut] },
  { table: "monitor_runs", where: "heartbeat_at < ? AND stopped_at IS NOT NULL", params: [cut] },
];

/** Deletes up to `batch` rows of each kind older than `cut` (epoch ms). Returns how many it deleted: 0 when done. */
export function pruneStep(db: SqliteDatabase, cut: number, batch = 1000): number {
  return db.transaction(() => {
    let deleted = 0;
    for (const { table, where, params } of DELETIONS(cut)) {
      deleted += db.run(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} t WHERE ${where} LIMIT ?)`, ...params, batch).changes;
    }
    deleted += db.run("DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE end_at IS NOT NULL AND end_at < ? LIMIT ?)", cut, batch).changes;
    deleted += db.run("DELETE FROM daily_uptime WHERE (day, bot) IN (SELECT day, bot FROM daily_uptime WHERE day < ? LIMIT ?)", utcDay(cut) - 1, batch).changes;
    deleted += db.run("DELETE FROM fleet_uptime WHERE day IN (SELECT day FROM fleet_uptime WHERE day < ? LIMIT ?)", utcDay(cut) - 1, batch).changes;
    return deleted;
  });
}

/** Prunes everything older than `cut`, batch after batch. Returns the rows deleted. */
export function prune(db: SqliteDatabase, cut: number, batch = 1000): number {
  let total = 0;
  for (let deleted = pruneStep(db, cut, batch); deleted > 0; deleted = pruneStep(db, cut, batch)) total += deleted;
  return total;
}
