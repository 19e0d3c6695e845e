/**
 * Errors of the database file, each naming the file and the cause in words an operator can act on
 * ("…: read-only file system (EROFS)"), never a bare "SQLITE_CANTOPEN". Messages hold paths and causes
 * only: no SQL parameters (they may be sealed tokens) ever reach them.
 */
export class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  /** The errno code (EACCES, EROFS, ENOSPC, EISDIR…) or SQLite's primary code name (SQLITE_NOTADB…). */
  readonly code: string;
  readonly path: string;
  /** The cause in words, without the path and code (for a message that adds to it). */
  readonly detail: string;

  constructor(path: string, code: string, cause: string, options?: ErrorOptions) {
    super(`database ${path}: ${cause} (${code})`, options);
    this.code = code;
    this.path = path;
    this.detail = cause;
  }
}

/** What an errno code means for the database file, and what to do about it. */
const ERRNO_CAUSES: Record<string, string> = {
  EACCES: "permission denied; give the monitor's user read and write access to the file and its directory",
  EPERM: "operation not permitted; give the monitor's user read and write access to the file and its directory",
  EROFS: "read-only file system; put store.path on a writable disk",
  ENOSPC: "no space left on the disk",
  EDQUOT: "disk quota exceeded",
  EISDIR: "is a directory; store.path must name a file",
  ENOTDIR: "a part of the path is not a directory",
  ENOENT: "the directory does not exist and cannot be created",
};

/** SQLite's primary result codes (https://sqlite.org/rescode.html) that mean something about the file. */
const SQLITE_CAUSES: Record<number, [code: string, cause: string]> = {
  5: ["SQLITE_BUSY", "locked by another process for longer than the busy timeout; is a second monitor using this file?"],
  8: ["SQLITE_READONLY", "the file or its directory is read-only; the monitor needs to write it and its -wal and -shm files"],
  10: ["SQLITE_IOERR", "a disk read or write failed"],
  11: ["SQLITE_CORRUPT", "the database file is corrupt; restore it from a backup"],
  13: ["SQLITE_FULL", "no space left on the disk"],
  14: ["SQLITE_CANTOPEN", "cannot open the file"],
  23: ["SQLITE_AUTH", "access denied"],
  26: ["SQLITE_NOTADB", "not a database; store.path names a file that is not a SQLite database"],
};

/** Turns an fs errno error or a node:sqlite error about `path` into a DatabaseError (others pass through). */
export function databaseError(path: string, err: unknown): Error {
  if (err instanceof DatabaseError) return err;
  const e = err as { code?: unknown; errcode?: unknown; errstr?: unknown; message?: unknown };
  if (typeof e.errcode === "number") {
    const known = SQLITE_CAUSES[e.errcode & 0xff];
    // SQLite's own message names tables and columns ("UNIQUE constraint failed: outbox.id"), never values.
    const said = typeof e.message === "string" ? e.message : typeof e.errstr === "string" ? e.errstr : "SQLite error";
    return known ? new DatabaseError(path, known[0], known[1], { cause: err }) : new DatabaseError(path, `SQLITE_${e.errcode & 0xff}`, said, { cause: err });
  }
  const errnoCause = typeof e.code === "string" ? ERRNO_CAUSES[e.code] : undefined;
  if (errnoCause) return new DatabaseError(path, e.code as string, errnoCause, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
