/**
 * What a service started by startTestService left in its store, read from outside the service on
 * either engine (test-store.ts): the slices a start would load, and any token found at rest. On SQLite
 * these are database-reader.ts's reads of the file and its -wal; on PostgreSQL every table's rows.
 */
import type pg from "pg";
import { createPool } from "../../src/store/postgres/pool.ts";
import { OUTBOX_COLUMNS, outboxEntry, readSlice } from "../../src/store/postgres/state-rows.ts";
import { filesAtRest, readDatabase, tokenForms, tokensAtRest, type DatabaseState } from "./database-reader.ts";
import { storePath } from "./service-harness.ts";
import { testDatabase } from "./test-store.ts";

/** A pool as the store makes it (its column types), for the length of `fn`. */
async function withClient<T>(url: string, fn: (c: pg.Pool) => Promise<T>): Promise<T> {
  const pool = createPool({ url });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** Every slice of the state in the store of `dir`, as a start would load it. */
export async function storedState(dir: string): Promise<DatabaseState> {
  const url = await testDatabase(dir);
  if (!url) return readDatabase(storePath(dir));
  return withClient(url, async (c) => {
    const slice = async (name: "bots" | "connections" | "results" | "alerts" | "silences") => await readSlice(c, name);
    const { rows } = await c.query(`SELECT ${OUTBOX_COLUMNS} FROM outbox ORDER BY seq`);
    return {
      bots: Object.fromEntries(await slice("bots")),
      connections: Object.fromEntries(await slice("connections")),
      results: Object.fromEntries(await slice("results")),
      alerts: Object.fromEntries(await slice("alerts")),
      silences: [...(await slice("silences")).values()],
      outbox: rows.map(outboxEntry),
    } as unknown as DatabaseState;
  });
}

/**
 * Everything the store of `dir` holds, as text: SQLite, the file and its -wal as bytes read as UTF-8;
 * PostgreSQL, every value of every column of every table as PostgreSQL prints it (jsonb as JSON, bytea
 * as hex), one value per line.
 */
export async function storedText(dir: string): Promise<string> {
  const url = await testDatabase(dir);
  if (!url) return Object.values(filesAtRest(storePath(dir))).map((bytes) => bytes.toString("utf8")).join("\n");
  return withClient(url, async (c) => {
    const columns = (await c.query<{ name: string; columns: string[] }>(
      `SELECT table_name AS name, array_agg(column_name::text ORDER BY ordinal_position) AS columns
         FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name ORDER BY table_name`,
    )).rows;
    const values: string[] = [];
    for (const { name, columns: cols } of columns) {
      const { rows } = await c.query({ text: `SELECT ${cols.map((col) => `"${col}"::text`).join(", ")} FROM "${name}"`, rowMode: "array" });
      for (const row of rows as (string | null)[][]) for (const value of row) if (value !== null) values.push(value);
    }
    return values.join("\n");
  });
}

/**
 * Where any form of any of `tokens` (tokenForms: plain, percent-encoded, base64, hex…) is at rest in the
 * store of `dir`: "where: form of token" lines, empty when none. SQLite: database-reader's search of the
 * file's bytes; PostgreSQL: storedText's values (bytea shows as hex, which the hex form finds).
 */
export async function tokensStored(dir: string, tokens: readonly string[]): Promise<string[]> {
  const url = await testDatabase(dir);
  if (!url) return tokensAtRest(storePath(dir), tokens);
  const text = Buffer.from(await storedText(dir));
  return tokens.flatMap((token) => Object.entries(tokenForms(token)).flatMap(([form, needle]) => (text.includes(needle) ? [`database: ${form} of ${token.slice(0, 12)}…`] : [])));
}
