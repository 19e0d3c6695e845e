/**
 * Retention (`store.retention`, default 180 d), on either engine: history older than the cut is deleted
 * in small batches, each its own short transaction, so pruning never holds a lock long and can run in
 * the background between sweeps (`pruneStep` until it returns 0, yielding in between).
 *
 * Kept whatever their age: each bot's last health transition before the cut and each check's last status
 * change before it (the next window starts in that state), incidents still open, the running totals of
 * the day before the cut (a window's full days subtract them; `fleet_uptime` holds the same), the bots'
 * numbers (`uptime_bots`: the packed days are indexed by them), and runs still going or that never
 * recorded a stop. The statements are the same SQL on both engines, `?` for each parameter (PostgreSQL's
 * side numbers them).
 */
export interface Deletion {
  sql: string;
  params: number[];
}

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

/** The statements of one batch of at most `batch` rows of each kind older than `cut` (epoch ms), in order. */
export function pruneStatements(cut: number, batch: number, cutDay: number): Deletion[] {
  return [
    ...DELETIONS(cut).map(({ table, where, params }) => ({ sql: `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} t WHERE ${where} LIMIT ?)`, params: [...params, batch] })),
    { sql: "DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE end_at IS NOT NULL AND end_at < ? LIMIT ?)", params: [cut, batch] },
    { sql: "DELETE FROM daily_uptime WHERE (day, bot) IN (SELECT day, bot FROM daily_uptime WHERE day < ? LIMIT ?)", params: [cutDay - 1, batch] },
    { sql: "DELETE FROM fleet_uptime WHERE day IN (SELECT day FROM fleet_uptime WHERE day < ? LIMIT ?)", params: [cutDay - 1, batch] },
  ];
}
