import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { isLegacyStateFile, readLegacyStateFile } from "../legacy-state-file.ts";
import { companionFiles } from "./database-file.ts";
import { SqliteDatabase } from "./database.ts";
import { DatabaseError, databaseError } from "./errors.ts";
import { cannotWrite } from "./open-connection.ts";
import { importLegacyState } from "./import-legacy.ts";

/**
 * Opens the database at `store.path` (README, "Storage and history"). A JSON state file of the earlier
 * lowdb format found there is imported first, so that a crash at any moment loses nothing:
 * 1. import into `<path>.tmp-db`, committed to disk, closed (a leftover from a crash here is discarded);
 * 2. rename the JSON to `<path>.imported`, fsync the directory;
 * 3. rename `<path>.tmp-db` to `<path>`, fsync the directory.
 * A start that finds `<path>.imported` and `<path>.tmp-db` but nothing at `<path>` was stopped between
 * 2 and 3: it finishes step 3.
 *
 * `besides` names where the earlier release kept its state by default (`./data/state.json`): when there
 * is no database at `path` yet and a state file of that format is there, it is the one imported (and
 * renamed `*.imported` where it is), so an upgrade that kept the default settings loses nothing.
 */
export async function openDatabaseAt(path: string, besides?: string): Promise<{ db: SqliteDatabase; imported?: Record<string, number>; importedFrom?: string }> {
  const staged = `${path}.tmp-db`;
  let imported: Record<string, number> | undefined;
  const source = isLegacyStateFile(path) ? path : besides !== undefined && besides !== path && !existsSync(path) && isLegacyStateFile(besides) ? besides : undefined;
  if (source !== undefined) {
    try {
      imported = await importStateFile(source, staged, path);
    } catch (err) {
      throw importRefusal(source, err);
    }
  } else if (!existsSync(path) && (existsSync(`${path}.imported`) || (besides !== undefined && existsSync(`${besides}.imported`))) && existsSync(staged)) {
    moveStaged(staged, path);
  } else {
    // A staged import left by a crash before the JSON was renamed: the JSON is still there to import.
    removeDatabase(staged);
  }
  return { db: SqliteDatabase.open({ path }), ...(imported ? { imported, importedFrom: source } : {}) };
}

/** Steps 1–3 above: the state file at `source` becomes the database at `path`. */
async function importStateFile(source: string, staged: string, path: string): Promise<Record<string, number> | undefined> {
  const legacy = await readLegacyStateFile(source);
  removeDatabase(staged);
  let imported: Record<string, number> | undefined;
  const db = SqliteDatabase.open({ path: staged });
  try {
    if (legacy) imported = importLegacyState(db, legacy);
    // A checkpoint moves everything into the file itself: the -wal is not renamed with it.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  fsyncFile(staged);
  renameSync(source, `${source}.imported`);
  fsyncFile(dirname(source));
  moveStaged(staged, path);
  return imported;
}

/** An import needs a disk that takes writes: a read-only or full one is refused with what to do, naming the file. */
function importRefusal(source: string, err: unknown): Error {
  const why = databaseError(source, err);
  if (!cannotWrite(why)) return err instanceof Error ? err : why; // other failures as they were
  return new DatabaseError(source, why.code, `is a state file of the earlier format, which must be imported into a database beside it, and that cannot be written: ${why.detail}`, { cause: why });
}

function moveStaged(staged: string, path: string): void {
  for (const companion of ["-wal", "-shm"]) rmSync(`${path}${companion}`, { force: true });
  renameSync(staged, path);
  fsyncFile(dirname(path));
}

function removeDatabase(path: string): void {
  for (const file of companionFiles(path)) rmSync(file, { force: true });
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
