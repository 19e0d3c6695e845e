/**
 * Which engine the service suites run on: SQLite (the embedded default) or, in the `postgres` test
 * project (vitest.config.ts), the run's PostgreSQL. A suite that starts the service takes its store
 * section from `testStore`, so the same suite proves both engines.
 */
import { join } from "node:path";
import { inject } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { openServiceStore, type ServiceStore } from "../../src/store/open-service-store.ts";
import { createDatabase } from "./postgres.ts";

export type TestEngine = "sqlite" | "postgres";

/** The engine of this run: the `postgres` project sets SECRETARY_TEST_STORE. */
export const testEngine = (): TestEngine => (process.env.SECRETARY_TEST_STORE === "postgres" ? "postgres" : "sqlite");

// One database per folder, so that a restart (the same folder) finds what the first start wrote.
const databases = new Map<string, Promise<string>>();

/**
 * The store section for a service whose state lives in `dir`: the SQLite file `dir/file`, or (PostgreSQL)
 * a database of its own on the run's cluster, the same one each time for the same folder. The cluster
 * goes with the run (postgres-global.ts), so the databases need no dropping.
 */
/** The PostgreSQL database of `dir` (testStore made it), or undefined on SQLite. */
export const testDatabase = (dir: string): Promise<string> | undefined => databases.get(dir);

export async function testStore(dir: string, file = "state.json"): Promise<{ path: string; url?: string }> {
  const path = join(dir, file);
  if (testEngine() === "sqlite") return { path };
  let url = databases.get(dir);
  if (!url) databases.set(dir, (url = createDatabase(inject("postgresAdminUrl")).then((db) => db.url)));
  return { path, url: await url };
}

/**
 * The service's store on this run's engine for the state in `dir`, opened as the service opens it
 * (openServiceStore): SqliteStore and its history, or a PostgresStore replica and its history. A second
 * open of the same folder is a restart (SQLite: the same file; PostgreSQL: the same database, a new replica).
 */
export async function openTestStore(dir: string, o: { bookkeepingIntervalMs?: number; onError?: (err: Error) => void } = {}): Promise<ServiceStore> {
  const config = parseConfig(JSON.stringify({ store: await testStore(dir) }), {}, "test store");
  return openServiceStore(config, {
    owns: () => true,
    onError: (err) => o.onError?.(err),
    pollIntervalMs: 50,
    ...(o.bookkeepingIntervalMs !== undefined && { bookkeepingIntervalMs: o.bookkeepingIntervalMs }),
  });
}
