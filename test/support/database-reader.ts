/**
 * The service's database as another process reads it (the fault tests): opened read-only with
 * `node:sqlite`, so that reading changes nothing the service finds at its next start (no checkpoint, no
 * -wal removed, no migration), and read through the store's own mappings (state-rows.ts, the history
 * repository), never by parsing what is inside the file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { companionFiles } from "../../src/store/sqlite/database-file.ts";
import { SqliteHistoryStore } from "../../src/store/sqlite/history-store.ts";
import { readState, type StateSlices } from "../../src/store/sqlite/state-rows.ts";
import type { WatchStateData } from "../../src/watch-state.ts";

/** The slices as the service loads them, typed as the monitor's records (watch-state.ts). */
export type DatabaseState = Omit<WatchStateData, "version">;

/**
 * The reads of SqliteDatabase over a read-only connection. The readers (readState, SqliteHistory) only
 * read; a write through this object fails loudly (the methods are absent), it never changes the file.
 */
class ReadOnlyDatabase {
  readonly path: string;
  private readonly db: DatabaseSync;
  constructor(path: string) {
    this.path = path;
    if (!existsSync(path)) throw new Error(`database ${path}: there is none (the service never started, or store.path differs)`);
    this.db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  }
  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }
  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }
  /** Reads run in one read transaction: a consistent snapshot while the service keeps committing. */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN");
    try {
      return fn();
    } finally {
      this.db.exec("COMMIT");
    }
  }
  /** `transaction` for reads that await: the snapshot lasts until `fn`'s promise settles. */
  async readTransaction<T>(fn: () => Promise<T>): Promise<T> {
    this.db.exec("BEGIN");
    try {
      return await fn();
    } finally {
      this.db.exec("COMMIT");
    }
  }
  close(): void {
    this.db.close();
  }
}

/** Runs `fn` on a read-only connection to the database at `path`, as one snapshot, and closes it. */
export function withDatabase<T>(path: string, fn: (db: SqliteDatabase) => T): T {
  const db = new ReadOnlyDatabase(path);
  try {
    return db.transaction(() => fn(db as unknown as SqliteDatabase));
  } finally {
    db.close();
  }
}

/** Every slice of the state as the database holds it (what a start would load). */
export function readDatabase(path: string): DatabaseState {
  return withDatabase(path, (db) => readState(db) as StateSlices as unknown as DatabaseState);
}

/**
 * The history store's reads (botHistory, incidents, the monitor's runs) on the database at `path`, as one
 * snapshot: the read transaction lasts until `fn`'s promise settles (the reads are asynchronous).
 */
export async function readHistory<T>(path: string, fn: (history: SqliteHistoryStore) => Promise<T>): Promise<T> {
  const db = new ReadOnlyDatabase(path);
  try {
    return await db.readTransaction(() =>
      fn(
        new SqliteHistoryStore(db as unknown as SqliteDatabase, () => {
          throw new Error("the history read for a test asked for a commit: something tried to write");
        }),
      ),
    );
  } finally {
    db.close();
  }
}

/** The bytes at rest: the database file and its companions (-wal, -shm), by name, those that exist. */
export function filesAtRest(path: string): Record<string, Buffer> {
  return Object.fromEntries(companionFiles(path).flatMap((file) => (existsSync(file) ? [[file, readFileSync(file)]] : [])));
}

/** Sizes in bytes of the database's companions and of a staged import (`<path>.tmp-db` and its own), 0 when absent. */
export function companionSizes(path: string): Record<string, number> {
  const files = [`${path}-wal`, `${path}-shm`, ...companionFiles(`${path}.tmp-db`)];
  return Object.fromEntries(files.map((f) => [f, existsSync(f) ? statSync(f).size : 0]));
}

/**
 * A token as it may be found at rest: plain, with the colon percent-encoded, fully percent-encoded
 * (both cases), base64 and base64url, hex, and UTF-16 (how SQLite would store it in a UTF-16 database).
 */
export function tokenForms(token: string): Record<string, Buffer> {
  const fully = [...token].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
  return {
    plain: Buffer.from(token),
    "colon as %3A": Buffer.from(token.replace(":", "%3A")),
    "fully percent-encoded": Buffer.from(fully),
    "fully percent-encoded (lower case)": Buffer.from(fully.toLowerCase()),
    base64: Buffer.from(Buffer.from(token).toString("base64").replace(/=+$/, "")),
    base64url: Buffer.from(Buffer.from(token).toString("base64url")),
    hex: Buffer.from(Buffer.from(token).toString("hex")),
    "utf-16le": Buffer.from(token, "utf16le"),
  };
}

/** Where any form of any of `tokens` occurs in the files at rest: "file: form of token" lines (empty: none). */
export function tokensAtRest(path: string, tokens: readonly string[]): string[] {
  const files = filesAtRest(path);
  const found: string[] = [];
  for (const [file, bytes] of Object.entries(files))
    for (const token of tokens) for (const [form, needle] of Object.entries(tokenForms(token))) if (bytes.includes(needle)) found.push(`${file}: ${form} of ${token.slice(0, 12)}…`);
  return found;
}
