/**
 * The state store's interface, slice by slice: what the next engines (SQLite, PostgreSQL) implement.
 * Each operation is what one SQL statement would do. Writes resolve once they are committed and reject
 * when that commit failed (the engine keeps retrying); a caller that does not wait for a write need not
 * catch it. Values are the stored ones: replace them with `put`/`update`, never change them in place.
 * Writes made in one synchronous step are committed together (one transaction): an alert's step and
 * the notifications it owes (AlertEngine) reach the disk together or not at all.
 */

/**
 * The record types of the slices. The store keeps them as JSON and knows nothing of their meaning:
 * each owner defines its own (BotStatus in model.ts, AlertState and OutboxEntry in alerts/, StoredBot
 * in fleet.ts), and watch-state.ts names the service's choice.
 */
export interface StateShapes {
  results: object;
  alerts: object;
  outbox: Identified;
  silences: Identified;
  bots: object;
}

/** A record with an id of its own: a row of a table keyed by id (an outbox entry, a silence). */
export interface Identified {
  readonly id: string;
}

/** Values by key: a table with a primary key (results by bot, alert states by alert key). */
export interface KeyValueRepository<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  entries(): IterableIterator<[string, V]>;
  values(): IterableIterator<V>;
  /** Inserts or replaces the value of `key`. */
  put(key: string, value: V): Promise<void>;
  /** Removes `key`; when it is not there, nothing is written. */
  delete(key: string): Promise<void>;
}

/** Records in the order they were added (the outbox's queue, the silences). */
export interface ListRepository<E extends Identified> {
  readonly size: number;
  /** Every record, oldest first: a snapshot, so changing the repository while going through it is safe. */
  list(): E[];
  get(id: string): E | undefined;
  /** Appends `records`, in one commit. */
  add(records: readonly E[]): Promise<void>;
  /** Replaces the record with `record.id`; when it is gone, nothing is written. */
  update(record: E): Promise<void>;
  /** Removes the record with `id`; when it is not there, nothing is written. */
  remove(id: string): Promise<void>;
}

/**
 * What a caller that must know about commits sees of the engine (the outbox: it must not deliver an
 * entry whose removal cannot be recorded).
 */
export interface Durability {
  /** Names the present moment for `isOnDisk`: whatever the store holds now is in every commit after it. */
  mark(): number;
  /** True when a commit that took the state after `mark` is on disk. */
  isOnDisk(mark: number): boolean;
  /** True when the newest commit reached the disk; false before the first and from a failed one until one succeeds. */
  readonly writable: boolean;
  /** Calls `listener` after every commit that reached the disk. Returns the unsubscribe. */
  onWritten(listener: () => void): () => void;
  /** Commits the state as it is, changed or not: how a process learns that it can write (`writable`). */
  touch(): Promise<void>;
  /**
   * Replicas: calls `listener` when notifications another replica left undelivered (it stopped or died)
   * joined this one's outbox. Engines of one process have no such thing. Returns the unsubscribe.
   */
  onOutboxArrived?(listener: () => void): () => void;
}

/**
 * A whole store, whatever its engine (the lowdb file, SQLite): the slices, each owned by one part of the
 * service, and the commit bookkeeping. `test/store/contract.ts` holds every engine to the same cases.
 */
export interface StateRepositories<S extends StateShapes> extends Durability {
  /** The last sweep of each bot, by bot name (Monitor). */
  readonly results: KeyValueRepository<S["results"]>;
  /** Alert states by alert key (AlertEngine); an idle alert is deleted. */
  readonly alerts: KeyValueRepository<S["alerts"]>;
  /** Notifications not yet delivered, oldest first (Outbox). */
  readonly outbox: ListRepository<S["outbox"]>;
  /** Silences created through the admin API. */
  readonly silences: ListRepository<S["silences"]>;
  /** Bots registered through the admin API, by name, tokens sealed (Fleet). */
  readonly bots: KeyValueRepository<S["bots"]>;
  /** Business connection ids recorded through the admin API, by bot name (Fleet). */
  readonly connections: KeyValueRepository<string>;
  /**
   * Commits whatever is pending; resolves once it is on disk (tests, shutdown). `remembered`: also the rows
   * of bots whose checks remember something not yet written (a young stall's start: verdict.ts), as a
   * process does before it lets go of its bots (a stop, a replica releasing its shards).
   */
  flush(options?: { remembered?: boolean }): Promise<void>;
  /** Commits whatever is pending, batched bookkeeping included, and lets go of the file. */
  close(): Promise<void>;
  /** Commits that reached the disk and the bytes they wrote (as the engine counts them). */
  readonly stats: { writes: number; bytes: number };
}
