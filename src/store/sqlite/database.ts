import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { MIGRATIONS, type Migration } from "../migrations/index.ts";
import { prepareDatabaseFile, requireExistingDatabase } from "./database-file.ts";
import { databaseError } from "./errors.ts";
import { migrate, readSchemaVersion } from "./migrate.ts";

export interface SqliteDatabaseOptions {
  /** The database file (store.path). */
  path: string;
  /** How long a statement waits for a lock held by another connection (a backup, `sqlite3`). */
  busyTimeoutMs?: number;
  /** The schema steps (tests give their own). */
  migrations?: readonly Migration[];
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
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly arrayStatements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync, schemaVersion: number) {
    this.path = path;
    this.db = db;
    this.schemaVersion = schemaVersion;
  }

  /** Opens (creating it 0600 if missing) and migrates the database. Throws a DatabaseError naming the file. */
  static open(options: SqliteDatabaseOptions): SqliteDatabase {
    const { path } = options;
    prepareDatabaseFile(path);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000, enableForeignKeyConstraints: true });
      const mode = db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
      if (mode.journal_mode !== "wal") throw new Error(`journal_mode is ${mode.journal_mode}, WAL expected`);
      db.exec("PRAGMA synchronous = NORMAL");
      const version = migrate(db, path, options.migrations ?? MIGRATIONS);
      // The -wal and -shm files exist now; SQLite created them with the database file's mode (0600).
      prepareDatabaseFile(path);
      return new SqliteDatabase(path, db, version);
    } catch (err) {
      db?.close();
      throw databaseError(path, err);
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
      return new SqliteDatabase(path, db, version);
    } catch (err) {
      db?.close();
      throw databaseError(path, err);
    }
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
