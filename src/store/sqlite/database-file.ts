import { chmodSync, closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { isLegacyStateFile } from "../legacy-state-file.ts";
import { DatabaseError, databaseError } from "./errors.ts";

/** The file and its companions: SQLite's write-ahead log and shared-memory index hold the same data. */
export const companionFiles = (path: string): string[] => [path, `${path}-wal`, `${path}-shm`];

const SQLITE_HEADER = "SQLite format 3\0";

/**
 * Makes `path` ready for SQLite: its directory exists (0700), the file exists with mode 0600 before
 * SQLite opens it (SQLite gives the -wal and -shm files it creates the database file's mode, so they are
 * 0600 too), and any companion left with a wider mode is tightened: they hold sealed tokens and alert
 * state. Throws a DatabaseError naming the path for a directory, a file that is not a database, or a
 * disk that refuses (EACCES, EROFS, ENOSPC…).
 */
export function prepareDatabaseFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw databaseError(dirname(path), err);
  }
  const existing = statOrUndefined(path);
  if (existing?.isDirectory()) throw new DatabaseError(path, "EISDIR", "is a directory; store.path must name a file");
  if (existing && existing.size > 0) refuseNonDatabase(path);
  try {
    // "a": create when missing, never truncate; 0o600 applies only when it creates.
    closeSync(openSync(path, "a", 0o600));
    for (const file of companionFiles(path)) {
      const stat = statOrUndefined(file);
      if (stat && (stat.mode & 0o077) !== 0) chmodSync(file, 0o600);
    }
  } catch (err) {
    throw databaseError(path, err);
  }
}

/**
 * For a reader beside the service (`history`): `path` must already be a database, which it does not
 * create. Throws a DatabaseError saying what is there instead: nothing, a directory, a state file of the
 * earlier format that the service has not imported yet, or another file.
 */
export function requireExistingDatabase(path: string): void {
  const existing = statOrUndefined(path);
  if (!existing) throw new DatabaseError(path, "ENOENT", "no database here; the service creates it at its first start (is store.path the service's?)");
  if (existing.isDirectory()) throw new DatabaseError(path, "EISDIR", "is a directory; store.path must name a file");
  if (existing.size > 0 && isLegacyStateFile(path))
    throw new DatabaseError(path, "LEGACY_STATE_FILE", "a state file of the earlier format, not imported yet; start the service of this release once, which imports it");
  if (existing.size === 0) throw new DatabaseError(path, "EMPTY", "an empty file, not a database yet; the service writes it at its first start");
  refuseNonDatabase(path);
}

/**
 * A JSON state file of the earlier format is not a database (README, "Storage and history": it is imported, the caller checks
 * for it first); anything else without SQLite's header is refused here, before SQLite says less clearly.
 */
function refuseNonDatabase(path: string): void {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw databaseError(path, err);
  }
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== SQLITE_HEADER) {
    throw new DatabaseError(path, "SQLITE_NOTADB", "not a database; store.path names a file that is not a SQLite database");
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw databaseError(path, err);
  }
}
