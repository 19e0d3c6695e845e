import type { SqliteDatabase } from "./database.ts";
import { insertApiBot, upsertAlertState, upsertConnection, upsertResult, type StateSlices } from "./state-rows.ts";

/** The slices the SQLite store keeps, by their table. */
export type SliceName = "results" | "alerts" | "outbox" | "silences" | "bots" | "connections";

/** Each slice's row: written whole for a key whose value is in memory, deleted for one that is gone. */
const WRITE: Record<SliceName, (db: SqliteDatabase, key: string, value: never) => void> = {
  results: (db, key, value: StateSlices["results"][string]) => upsertResult(db, key, value),
  alerts: (db, key, value: StateSlices["alerts"][string]) => upsertAlertState(db, key, value),
  bots: (db, key, value: StateSlices["bots"][string]) => insertApiBot(db, key, value),
  connections: (db, key, value: string) => upsertConnection(db, key, value),
  silences: (db, _key, s: StateSlices["silences"][number]) =>
    db.run(
      `INSERT INTO silences (id, matchers, starts_at, ends_at, reason, created_by) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
         reason = excluded.reason, created_by = excluded.created_by`,
      s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.reason, s.createdBy ?? null,
    ),
  // A new entry takes the next `seq` (the order entries go out in); an update keeps its own.
  outbox: (db, _key, e: StateSlices["outbox"][number]) =>
    db.run(
      `INSERT INTO outbox (id, seq, channel, message, created_at, attempts, next_attempt_at, last_error)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, message = excluded.message, created_at = excluded.created_at,
         attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error`,
      e.id, e.channel, JSON.stringify(e.message), e.createdAt, e.attempts, e.nextAttemptAt, e.lastError ?? null,
    ),
};

const DELETE: Record<SliceName, readonly string[]> = {
  results: ["DELETE FROM bot_results WHERE bot = ?", "DELETE FROM bot_sweeps WHERE bot = ?"],
  alerts: ["DELETE FROM alert_states WHERE alert_key = ?"],
  bots: ["DELETE FROM api_bots WHERE name = ?"],
  connections: ["DELETE FROM connections WHERE bot = ?"],
  silences: ["DELETE FROM silences WHERE id = ?"],
  outbox: ["DELETE FROM outbox WHERE id = ?"],
};

/** Writes `key` of `slice` as memory holds it now: its row replaced, or deleted when `value` is undefined. */
export function writeSliceRow(db: SqliteDatabase, slice: SliceName, key: string, value: unknown): void {
  if (value === undefined) for (const sql of DELETE[slice]) db.run(sql, key);
  else WRITE[slice](db, key, value as never);
}
