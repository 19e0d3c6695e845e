import type { HistoryReader } from "../../history/history.ts";
import type { Uptime } from "../../history/uptime.ts";
import { SqliteDatabase } from "./database.ts";
import { SqliteHistoryStore } from "./history-store.ts";

/** The history of a database another process writes, for reading only. */
export interface StoredHistory {
  history: HistoryReader & {
    /** Every bot's uptime over the `windowMs` ending at `now`. */
    fleetUptimeOver(now: number, windowMs: number): Promise<Map<string, Uptime>>;
  };
  close(): void | Promise<void>;
}

/**
 * Opens the history at `path` beside the service that writes it (`secretary-watch history`; README,
 * "Storage and history"): a read-only connection (SqliteDatabase.openReadOnly) and no run of the monitor
 * begun, so the running service's known time ends at its last recorded heartbeat. Throws a DatabaseError
 * naming the file when there is no database of this release's schema there.
 */
export function openStoredHistory(path: string): StoredHistory {
  const db = SqliteDatabase.openReadOnly({ path });
  const history = new SqliteHistoryStore(db, () => {
    throw new Error("the history opened for reading records nothing");
  });
  return { history, close: () => db.close() };
}
