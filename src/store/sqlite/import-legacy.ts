import type { LegacyState } from "../legacy-state-file.ts";
import type { SqliteDatabase } from "./database.ts";
import { insertApiBot, insertOutboxEntry, insertSilence, upsertAlertState, upsertConnection, upsertResult } from "./state-rows.ts";

/**
 * Inserts everything an earlier lowdb state file held (README, "Storage and history") in one transaction, committed to disk: the
 * import happens whole or not at all, and the caller renames the file `*.imported` only after it returns.
 * Tokens stay sealed as they were (same SecretBox format and key). Returns what it inserted, for the log.
 */
export function importLegacyState(db: SqliteDatabase, legacy: LegacyState): Record<keyof Omit<LegacyState, "version">, number> {
  return db.transaction(
    () => {
      for (const [name, bot] of Object.entries(legacy.bots)) insertApiBot(db, name, bot);
      for (const [bot, id] of Object.entries(legacy.connections)) upsertConnection(db, bot, id);
      for (const [bot, status] of Object.entries(legacy.results)) upsertResult(db, bot, status);
      for (const [key, state] of Object.entries(legacy.alerts)) upsertAlertState(db, key, state);
      for (const silence of legacy.silences) insertSilence(db, silence);
      for (const entry of legacy.outbox) insertOutboxEntry(db, entry);
      return {
        bots: Object.keys(legacy.bots).length,
        connections: Object.keys(legacy.connections).length,
        results: Object.keys(legacy.results).length,
        alerts: Object.keys(legacy.alerts).length,
        silences: legacy.silences.length,
        outbox: legacy.outbox.length,
      };
    },
    { durability: "disk" },
  );
}
