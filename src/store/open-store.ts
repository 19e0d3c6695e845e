import { SqliteStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.ts";
import type { StateRepositories, StateShapes } from "./repositories.ts";
import { StateStore, type StateStoreOptions } from "./state-store.ts";

/**
 * The store's engines, each opened to the same interface (StateRepositories): the service runs on SQLite;
 * the lowdb file stays as the writer of the earlier format, for the contract suite, the import's tests and
 * the bench's comparison (README, "Storage and history").
 */
export function openLowdbStore<S extends StateShapes>(options: StateStoreOptions): Promise<StateRepositories<S>> {
  return StateStore.open<S>(options);
}

/** The SQLite store at `options.path`; a JSON state file of the earlier format found there is imported. */
export function openSqliteStore<S extends StateShapes>(options: SqliteStoreOptions): Promise<StateRepositories<S>> {
  return SqliteStore.open<S>(options);
}
