import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { MIGRATIONS, type Migration } from "../migrations/index.ts";
import { requireExistingDatabase } from "./database-file.ts";
import { DatabaseError, databaseError } from "./errors.ts";
import { readSchemaVersion } from "./migrate.ts";
import { cannotWrite, openReadOnly as openReadOnlyConnection, openWritable, type Connection } from "./open-connection.ts";

export interface SqliteDatabaseOptions {
  /** The database file (store.path). */
  path: string;
  /** How long a statement waits for a lock held by another connection (a backup, `sqlite3`). */
  busyTimeoutMs?: number;
  /** The schema steps (tests give their own). */
  migrations?: readonly Migration[];
  /**
   * While the file is open read-only, how often a transaction may try to reopen it for writing; in
   * between, transactions fail at once with the last refusal (a reopen drops SQLite's page cache).
   */
  reopenIntervalMs?: number;
}

export interface TransactionOptions {
  /**
   * `disk`: the commit returns only once it is on disk, so a power loss cannot take it back (admin
   * changes, queued notifications: what is acknowledged). `process` (default): it survives the process
   * being killed, and reaches the disk with the next checkpoint or `disk` commit (history, bookkeeping).
   */
  durability?: "process" | "disk";
}

/**
 * The embedded engine (README, "Storage and history"): one SQLite file through Node's built-in `node:sqlite`, opened once
 * per process. Everything runs synchronously on the event loop: statements take microseconds on an
 * indexed table, and a synchronous transaction can never interleave with another caller's.
 *
 * Durability: WAL with `synchronous=NORMAL` appends each commit to the write-ahead log before returning,
 * so a process crash (kill -9) loses nothing committed; only a power loss or kernel crash can take back
 * the last commits, because the log is fsynced at checkpoints rather than per commit. What the monitor
 * acknowledges to someone (an admin change, a notification it promises to deliver) commits with
 * `durability: "disk"`, which switches that one commit to `synchronous=FULL`: the log is fsynced before
 * the commit returns (about half a millisecond here), and everything committed before it with it.
 * History and sweep bookkeeping, which a monitor may lose the last second of on a power cut, do not pay
 * that fsync.
 */
export class SqliteDatabase {
  readonly path: string;
  /** The schema version in force. */
  readonly schemaVersion: number;
  private db: DatabaseSync;
  private readOnlyConnection: boolean;
  /** False for a reader beside the service (openReadOnly): it never writes, so it never reopens for writing. */
  private mayReopen = true;
  private lastRefusal: { at: number; error: DatabaseError } | undefined;
  private readonly options: SqliteDatabaseOptions;
  private readonly statements = new Map<string, StatementSync>();
  private readonly arrayStatements = new Map<string, StatementSync>();

  private constructor(options: SqliteDatabaseOptions, connection: Connection, readOnly: boolean) {
    this.path = options.path;
    this.options = options;
    this.db = connection.db;
    this.schemaVersion = connection.version;
    this.readOnlyConnection = readOnly;
  }

  /**
   * Opens (creating it 0600 if missing) and migrates the database. An existing database at the current
   * schema that cannot be written (read-only or full disk, no write permission) is opened read-only:
   * `readOnly` is true and each transaction first tries to reopen it for writing. Throws a DatabaseError
   * naming the file.
   */
  static open(options: SqliteDatabaseOptions): SqliteDatabase {
    const { path } = options;
    const timeout = options.busyTimeoutMs ?? 5000;
    const migrations = options.migrations ?? MIGRATIONS;
    try {
      return new SqliteDatabase(options, openWritable(path, timeout, migrations), false);
    } catch (err) {
      const why = databaseError(path, err);
      if (!cannotWrite(why)) throw why;
      return new SqliteDatabase(options, openReadOnlyConnection(path, timeout, migrations, why), true);
    }
  }

  /**
   * Opens an existing database to read it beside the service that writes it (`secretary-watch history`):
   * read-only, so SQLite refuses any write; nothing is created, migrated or imported. WAL gives each read
   * a consistent snapshot while the service commits, and a reader never blocks the writer. A missing
   * file, a state file not imported yet, or a schema other than this release's is a DatabaseError
   * saying so.
   */
  static openReadOnly(options: SqliteDatabaseOptions): SqliteDatabase {
    const { path } = options;
    requireExistingDatabase(path);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { readOnly: true, timeout: options.busyTimeoutMs ?? 5000 });
      const version = readSchemaVersion(db, path, options.migrations ?? MIGRATIONS);
      const reader = new SqliteDatabase(options, { db, version }, true);
      reader.mayReopen = false;
      return reader;
    } catch (err) {
      db?.close();
      throw databaseError(path, err);
    }
  }

  /** True while the connection is read-only (the file could not be opened for writing). */
  get readOnly(): boolean {
    return this.readOnlyConnection;
  }

  /** The prepared statement for `sql`, prepared once and reused. */
  statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.guard(() => this.db.prepare(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    const result = this.guard(() => this.statement(sql).run(...params));
    return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.guard(() => this.statement(sql).get(...params)) as T | undefined;
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.guard(() => this.statement(sql).all(...params)) as T[];
  }

  /** Rows as arrays of column values, in the SELECT's order: no object per row (reads of thousands of rows). */
  arrays(sql: string, ...params: SQLInputValue[]): SQLOutputValue[][] {
    let statement = this.arrayStatements.get(sql);
    if (!statement) {
      statement = this.guard(() => this.db.prepare(sql));
      statement.setReturnArrays(true);
      this.arrayStatements.set(sql, statement);
    }
    const prepared = statement;
    return this.guard(() => prepared.all(...params)) as unknown as SQLOutputValue[][];
  }

  /** Runs statements that take no parameters (schema, pragmas). */
  exec(sql: string): void {
    this.guard(() => this.db.exec(sql));
  }

  /**
   * Runs `fn` in one transaction: BEGIN IMMEDIATE (the write lock is taken at once, so the transaction
   * never fails half-way for a lock), COMMIT when it returns, ROLLBACK when it throws. `fn` must be
   * synchronous: an await inside would let other callers' statements into this transaction. A call
   * inside a running transaction joins it.
   */
  transaction<T>(fn: () => T, options: TransactionOptions = {}): T {
    if (this.db.isTransaction) return this.checkSync(fn());
    if (this.readOnlyConnection && !this.mayReopen) throw new DatabaseError(this.path, "SQLITE_READONLY", "is open for reading only here (a reader beside the service writes nothing)");
    if (this.readOnlyConnection) this.reopenWritable(Date.now());
    const disk = options.durability === "disk";
    if (disk) this.exec("PRAGMA synchronous = FULL");
    try {
      this.exec("BEGIN IMMEDIATE");
      let result: T;
      try {
        result = this.checkSync(fn());
      } catch (err) {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
      try {
        this.exec("COMMIT");
      } catch (err) {
        // A COMMIT that failed (disk full, I/O error) may leave the transaction open: the next call
        // would join it. Roll it back, so the caller can retry the whole change later.
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
      return result;
    } finally {
      if (disk) this.exec("PRAGMA synchronous = NORMAL");
    }
  }

  /**
   * SQLite cannot turn a read-only connection into a writable one, and a second connection would share
   * the first one's read-only -shm: the read-only connection is closed and the file opened for writing
   * (the disk may take writes again). While it still refuses, the file is opened read-only again (the
   * same rows) and the refusal thrown, naming the file.
   */
  private reopenWritable(now: number): void {
    if (this.lastRefusal && now - this.lastRefusal.at < (this.options.reopenIntervalMs ?? 1000)) throw this.lastRefusal.error;
    const timeout = this.options.busyTimeoutMs ?? 5000;
    const migrations = this.options.migrations ?? MIGRATIONS;
    this.statements.clear();
    this.arrayStatements.clear();
    this.db.close();
    let connection: Connection;
    try {
      connection = openWritable(this.path, timeout, migrations);
    } catch (err) {
      const failed = databaseError(this.path, err);
      const why = failed instanceof DatabaseError ? failed : new DatabaseError(this.path, "SQLITE_ERROR", failed.message, { cause: failed });
      this.lastRefusal = { at: now, error: why };
      this.db = openReadOnlyConnection(this.path, timeout, migrations, why).db;
      throw why;
    }
    this.db = connection.db;
    this.readOnlyConnection = false;
    this.lastRefusal = undefined;
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.statements.clear();
    this.arrayStatements.clear();
    this.guard(() => this.db.close());
  }

  private checkSync<T>(result: T): T {
    if (result instanceof Promise) throw new Error("transaction(fn): fn returned a promise; a transaction's work must be synchronous");
    return result;
  }

  /** SQLite's errors about the file (full, read-only, corrupt…) become DatabaseErrors naming it. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw databaseError(this.path, err);
    }
  }
}
