import { utcDay } from "../../history/spans.ts";
import { pruneStatements } from "../retention.ts";
import type { SqliteDatabase } from "./database.ts";

/** Deletes up to `batch` rows of each kind older than `cut` (epoch ms; store/retention.ts). Returns how many it deleted: 0 when done. */
export function pruneStep(db: SqliteDatabase, cut: number, batch = 1000): number {
  return db.transaction(() => {
    let deleted = 0;
    for (const { sql, params } of pruneStatements(cut, batch, utcDay(cut))) deleted += db.run(sql, ...params).changes;
    return deleted;
  });
}

/** Prunes everything older than `cut`, batch after batch. Returns the rows deleted. */
export function prune(db: SqliteDatabase, cut: number, batch = 1000): number {
  let total = 0;
  for (let deleted = pruneStep(db, cut, batch); deleted > 0; deleted = pruneStep(db, cut, batch)) total += deleted;
  return total;
}
