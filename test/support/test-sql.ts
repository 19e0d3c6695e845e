/**
 * A few statements on the database of a test store (test-store.ts), by a second connection as another
 * process would open it, in SQL both engines speak (`?` for each parameter), and a trigger that makes a
 * table refuse a kind of write the way a failing disk or server would, on either engine.
 */
import type { SQLInputValue } from "node:sqlite";
import { createPool } from "../../src/store/postgres/pool.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { storePath } from "./service-harness.ts";
import { testDatabase } from "./test-store.ts";

export interface TestSql {
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Makes `table` refuse every insert, update and delete with an error saying `message`, until `allow`. */
  refuse(table: string, message: string): Promise<void>;
  allow(table: string): Promise<void>;
  /** Makes every insert into `table` take `ms` longer (PostgreSQL; SQLite has no sleep to call, and commits synchronously). */
  slowInserts(table: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

const OPERATIONS = ["INSERT", "UPDATE", "DELETE"];

/** `?` placeholders numbered for PostgreSQL. */
export const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export async function testSql(dir: string): Promise<TestSql> {
  const url = await testDatabase(dir);
  if (!url) {
    const db = SqliteDatabase.open({ path: storePath(dir) });
    return {
      all: async <T>(sql: string, ...params: unknown[]) => db.all<T>(sql, ...(params as SQLInputValue[])),
      // A SQLite trigger fires on one kind of statement: one for each.
      refuse: async (table, message) => db.exec(OPERATIONS.map((op) => `CREATE TRIGGER refuse_${table}_${op} BEFORE ${op} ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END;`).join("\n")),
      allow: async (table) => db.exec(OPERATIONS.map((op) => `DROP TRIGGER refuse_${table}_${op};`).join("\n")),
      slowInserts: async () => undefined,
      close: async () => db.close(),
    };
  }
  const pool = createPool({ url });
  return {
    all: async <T>(sql: string, ...params: unknown[]) => (await pool.query({ text: numbered(sql), values: params })).rows as T[],
    refuse: async (table, message) =>
      void (await pool.query(`
        CREATE FUNCTION refuse_${table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$;
        CREATE TRIGGER refuse_${table} BEFORE ${OPERATIONS.join(" OR ")} ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_${table}();`)),
    allow: async (table) => void (await pool.query(`DROP TRIGGER refuse_${table} ON ${table}; DROP FUNCTION refuse_${table}();`)),
    slowInserts: async (table, ms) =>
      void (await pool.query(`
        CREATE FUNCTION slow_${table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${ms / 1000}); RETURN NEW; END $$;
        CREATE TRIGGER slow_${table} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION slow_${table}();`)),
    close: () => pool.end(),
  };
}
