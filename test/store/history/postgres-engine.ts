import type pg from "pg";
import { MIGRATIONS } from "../../../src/store/migrations/index.ts";
import { migratePostgres } from "../../../src/store/postgres/migrate.ts";
import { createPool, inTransaction } from "../../../src/store/postgres/pool.ts";
import { PostgresHistoryStore } from "../../../src/store/postgres/history-store.ts";
import { inject } from "vitest";
import { createDatabase } from "../../support/postgres.ts";
import { numbered } from "../../support/test-sql.ts";
import { HISTORY_TABLES, committer, type HistoryEngine, type Monitor } from "./engine.ts";


/**
 * The history contract's harness on a fresh PostgreSQL database of the run's cluster: each monitor a
 * replica of its own name; the committer is the lead store's commit in small (a transaction, writeQueued,
 * COMMIT, committed).
 */
export type PostgresEngine = HistoryEngine & { pool: pg.Pool };

export async function postgresEngine(): Promise<PostgresEngine> {
  // A database of its own on the run's cluster, dropped by close (also from a beforeAll, where testDatabaseUrl cannot register its cleanup).
  const database = await createDatabase(inject("postgresAdminUrl"));
  const pool = createPool({ url: database.url });
  await migratePostgres(pool, "test", MIGRATIONS);
  let replicas = 0;
  return {
    name: "PostgreSQL",
    pool,
    monitor(options = {}): Monitor {
      // The committer is called only once `history` exists.
      const { commit, request } = committer(async () => {
        const count = await inTransaction(pool, (client) => history.writeQueued(client));
        history.committed(count);
      });
      const history = new PostgresHistoryStore(pool, () => {
        if (options.autoCommit) setImmediate(request);
      }, options.replica ?? `replica-${++replicas}`);
      return { history, commit };
    },
    value: async (sql, ...params) => {
      const { rows } = await pool.query({ text: numbered(sql), values: params, rowMode: "array" });
      return (rows[0] as unknown[] | undefined)?.[0];
    },
    exec: async (sql) => void (await pool.query(sql)),
    refuseDeletes: async () =>
      void (await pool.query(`
        CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk says no'; END $$;
        CREATE TRIGGER refuse BEFORE DELETE ON health_transitions FOR EACH ROW EXECUTE FUNCTION refuse();`)),
    reset: async () => void (await pool.query(`TRUNCATE ${HISTORY_TABLES.join(", ")}`)),
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}
