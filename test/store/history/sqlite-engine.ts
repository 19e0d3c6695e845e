import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQLInputValue } from "node:sqlite";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { SqliteHistoryStore } from "../../../src/store/sqlite/history-store.ts";
import { HISTORY_TABLES, committer, type HistoryEngine, type Monitor } from "./engine.ts";

/** The history contract's harness on a SQLite file of its own. */
export function sqliteEngine(): HistoryEngine {
  const dir = mkdtempSync(join(tmpdir(), "history-contract-"));
  const db = SqliteDatabase.open({ path: join(dir, "history.db") });
  return {
    name: "SQLite",
    monitor(options = {}): Monitor {
      // The committer is called only once `history` exists.
      const { commit, request } = committer(async () => {
        const count = db.transaction(() => history.writeQueued());
        history.committed(count);
      });
      const history = new SqliteHistoryStore(db, () => {
        if (options.autoCommit) setImmediate(request);
      });
      return { history, commit };
    },
    value: async (sql, ...params) => Object.values(db.get<Record<string, unknown>>(sql, ...(params as SQLInputValue[])) ?? {})[0],
    exec: async (sql) => db.exec(sql),
    refuseDeletes: async () => db.exec("CREATE TRIGGER refuse BEFORE DELETE ON health_transitions BEGIN SELECT RAISE(ABORT, 'disk says no'); END"),
    reset: async () => db.exec(HISTORY_TABLES.map((t) => `DELETE FROM ${t};`).join("\n")),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
