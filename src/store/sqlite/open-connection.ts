import { existsSync, statSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { DatabaseSync } from "node:sqlite";
import type { Migration } from "../migrations/index.ts";
import { prepareDatabaseFile } from "./database-file.ts";
import { DatabaseError, databaseError } from "./errors.ts";
import { migrate, schemaTooNew } from "./migrate.ts";

export interface Connection {
  db: DatabaseSync;
  /** The schema version in force. */
  version: number;
}

/** Errors that say the disk refuses writes, not that the file is wrong: a current database is still readable. */
const CANNOT_WRITE: ReadonlySet<string> = new Set(["EROFS", "EACCES", "EPERM", "ENOSPC", "EDQUOT", "SQLITE_READONLY", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_IOERR"]);

export function cannotWrite(err: Error): err is DatabaseError {
  return err instanceof DatabaseError && CANNOT_WRITE.has(err.code);
}

/** Opens `path` for reading and writing (creating it 0600 if missing, WAL, synchronous=NORMAL) and migrates it. */
export function openWritable(path: string, timeout: number, migrations: readonly Migration[]): Connection {
  prepareDatabaseFile(path);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { timeout, enableForeignKeyConstraints: true });
    const mode = db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
    if (mode.journal_mode !== "wal") throw new Error(`journal_mode is ${mode.journal_mode}, WAL expected`);
    db.exec("PRAGMA synchronous = NORMAL");
    const version = migrate(db, path, migrations);
    // The -wal and -shm files exist now; SQLite created them with the database file's mode (0600).
    prepareDatabaseFile(path);
    return { db, version };
  } catch (err) {
    db?.close();
    throw diskFull(path, databaseError(path, err));
  }
}

/**
 * SQLite reports a -shm it cannot grow as an I/O error: on a disk with no space left, say that instead,
 * which the operator can act on.
 */
function diskFull(path: string, err: Error): Error {
  if (!(err instanceof DatabaseError) || (err.code !== "SQLITE_IOERR" && err.code !== "SQLITE_CANTOPEN")) return err;
  try {
    if (statfsSync(dirname(path)).bavail > 0) return err;
  } catch {
    return err;
  }
  return databaseError(path, Object.assign(new Error("no space left on the disk"), { code: "ENOSPC", cause: err }));
}

/**
 * Opens an existing database that cannot be written (`why`: the disk is read-only or full, the file not
 * ours to write) read-only, so the monitor still starts with what it holds (README, "Operations"). A WAL
 * left by a crash is read through its -shm; a database closed cleanly has neither file, and on a disk
 * where the -shm cannot be created SQLite opens it only as `immutable` (nothing else writes a disk that
 * refuses us). Refused, naming the file: no database there (nothing to serve), a schema that would need
 * migrating (that is a write), one from a newer release, and a -wal that cannot be read (opening
 * without it would serve an older state than the one on disk).
 */
export function openReadOnly(path: string, timeout: number, migrations: readonly Migration[], why: DatabaseError): Connection {
  if (sizeOf(path) === 0) throw why;
  const db = openReading(path, timeout, why);
  try {
    const version = schemaVersion(db);
    const latest = migrations.at(-1)?.version ?? 0;
    if (version > latest) throw schemaTooNew(path, version, latest);
    if (version < latest) {
      throw new DatabaseError(path, why.code, `is at schema version ${version} and must be migrated to ${latest}, which needs writing it: ${why.detail}`, { cause: why });
    }
    return { db, version };
  } catch (err) {
    db.close();
    throw err instanceof DatabaseError ? err : why;
  }
}

function openReading(path: string, timeout: number, why: DatabaseError): DatabaseSync {
  const plain = tryOpen(path);
  if (plain) return plain;
  // No -shm can be made here; only a database without a write-ahead log can be read without one.
  if (sizeOf(`${path}-wal`) > 0) {
    throw new DatabaseError(path, why.code, `its write-ahead log (${path}-wal) cannot be read without creating ${path}-shm, and ${why.detail}`, { cause: why });
  }
  const url = pathToFileURL(path);
  url.searchParams.set("immutable", "1");
  const immutable = tryOpen(url);
  if (immutable) return immutable;
  throw why;

  function tryOpen(at: string | URL): DatabaseSync | undefined {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(at, { readOnly: true, timeout, enableForeignKeyConstraints: true });
      db.prepare("SELECT COUNT(*) FROM sqlite_master").get(); // SQLite opens the file and its WAL lazily
      return db;
    } catch {
      db?.close();
      return undefined;
    }
  }
}

function schemaVersion(db: DatabaseSync): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  return (db.prepare("SELECT MAX(version) AS version FROM schema_version").get() as { version: number | null }).version ?? 0;
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
