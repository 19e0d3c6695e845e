import { MIGRATIONS } from "../migrations/index.ts";
import { DatabaseError } from "../sqlite/errors.ts";
import type { StoredHistory } from "../sqlite/history-reader.ts";
import { PostgresHistoryStore } from "./history-store.ts";
import { createPool, describeUrl } from "./pool.ts";

/**
 * The history on the PostgreSQL at `url`, for reading beside the running replicas (`secretary-watch
 * history`): a pool of its own, nothing recorded, and a schema this release reads (never migrated by a
 * reader). An unreachable server or another schema is a DatabaseError naming the database.
 */
export async function openPostgresHistory(url: string): Promise<StoredHistory> {
  const where = describeUrl(url);
  const pool = createPool({ url, max: 2 });
  let version: number;
  try {
    const { rows } = await pool.query<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_version");
    version = rows[0]?.version ?? 0;
  } catch (err) {
    await pool.end().catch(() => undefined);
    const code = (err as { code?: string }).code ?? "ECONNREFUSED";
    const cause = code === "42P01" ? "holds no secretary-watch schema; start the service on it once" : `cannot be read: ${(err as Error).message}`;
    throw new DatabaseError(where, code, cause, { cause: err });
  }
  const latest = MIGRATIONS.length;
  if (version !== latest) {
    await pool.end();
    throw new DatabaseError(where, version > latest ? "SCHEMA_TOO_NEW" : "SCHEMA_TOO_OLD", `schema version ${version}, this release reads ${latest}; use the release that writes it`);
  }
  const history = new PostgresHistoryStore(pool, () => {
    throw new Error("the history opened for reading records nothing");
  }, "history-reader");
  return { history, close: () => pool.end() };
}
