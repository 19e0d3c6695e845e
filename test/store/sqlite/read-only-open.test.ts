/**
 * A database on a disk that takes no writes (README, "Operations: faults, crashes and security"): one at
 * the current schema is opened read-only, with everything it holds (also what a crash left in its -wal),
 * and becomes writable again by itself once the disk is; one that would need a write to be served
 * (a migration, an import, a database still to create) is refused, naming the file.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { DatabaseError } from "../../../src/store/sqlite/errors.ts";
import { openDatabaseAt } from "../../../src/store/sqlite/open-database-at.ts";
import { MIGRATIONS } from "../../../src/store/migrations/index.ts";
import { mountTmpfs, type ReadOnlyDisk } from "../../support/read-only-disk.ts";
import { writeLegacyStateFile } from "../../support/legacy-state.ts";

const opened: SqliteDatabase[] = [];
let disk: ReadOnlyDisk | undefined;
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  disk?.close();
  disk = undefined;
});

const open = (path: string, migrations = MIGRATIONS) => {
  const db = SqliteDatabase.open({ path, migrations });
  opened.push(db);
  return db;
};
const connections = (db: SqliteDatabase) => db.all<{ bot: string }>("SELECT bot FROM connections ORDER BY bot").map((r) => r.bot);
const insert = (db: SqliteDatabase, bot: string) => db.transaction(() => db.run("INSERT INTO connections (bot, connection_id) VALUES (?, 'bc')", bot));

function refusal(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseError);
    return err as DatabaseError;
  }
  throw new Error("it did not fail");
}

/** A database with `bots` committed by a process killed with SIGKILL: the rows are in its -wal only. */
function crashedWith(path: string, bots: string[]): void {
  const script = `
    const { DatabaseSync } = require("node:sqlite");
    const db = new DatabaseSync(process.argv[1]);
    db.exec("PRAGMA wal_autocheckpoint = 0");
    for (const bot of process.argv.slice(2)) db.prepare("INSERT INTO connections (bot, connection_id) VALUES (?, 'bc')").run(bot);
    process.kill(process.pid, "SIGKILL");`;
  const child = spawnSync(process.execPath, ["-e", script, path, ...bots]);
  expect(child.signal, child.stderr.toString()).toBe("SIGKILL");
}

describe("a database on a disk that takes no writes", () => {
  it("when a database closed cleanly is on a read-only disk, then it opens read-only with its rows, and a transaction fails naming the file and EROFS", () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "w.db");
    const first = open(path);
    insert(first, "anna");
    first.close();
    expect(existsSync(`${path}-wal`)).toBe(false); // nothing beside it: SQLite can read it only as immutable
    disk.readOnly();
    const db = open(path);
    expect(db.readOnly).toBe(true);
    expect(db.schemaVersion).toBe(MIGRATIONS.length);
    expect(connections(db)).toEqual(["anna"]);
    const err = refusal(() => insert(db, "bob"));
    expect(err.code).toBe("EROFS");
    expect(err.message).toBe(`database ${path}: read-only file system; put store.path on a writable disk (EROFS)`);
    expect(connections(db)).toEqual(["anna"]);
  });

  it("when a crash left committed rows in the -wal and the disk is read-only, then the read-only open serves them too", () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "w.db");
    open(path).close();
    crashedWith(path, ["anna", "bob"]);
    expect(existsSync(`${path}-wal`)).toBe(true);
    disk.readOnly();
    const db = open(path);
    expect(db.readOnly).toBe(true);
    expect(connections(db)).toEqual(["anna", "bob"]);
  });

  it("when the database on a read-only disk needs a migration, then it is refused naming the file, both versions and the disk", () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "w.db");
    open(path, MIGRATIONS.slice(0, 2)).close();
    disk.readOnly();
    const err = refusal(() => open(path));
    expect(err.code).toBe("EROFS");
    expect(err.message).toBe(
      `database ${path}: is at schema version 2 and must be migrated to ${MIGRATIONS.length}, which needs writing it: read-only file system; put store.path on a writable disk (EROFS)`,
    );
  });

  it("when the database on a read-only disk is newer than the code, then it is refused as newer", () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "w.db");
    open(path).close();
    disk.readOnly();
    expect(refusal(() => open(path, MIGRATIONS.slice(0, 2))).code).toBe("SCHEMA_TOO_NEW");
  });

  it("when a state file of the earlier format is at store.path on a read-only disk, then it is refused, saying it must be imported", async () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "state.json");
    await writeLegacyStateFile(path, { connections: { anna: "bc-1" } });
    disk.readOnly();
    const err = await openDatabaseAt(path).then(
      () => expect.unreachable("the import on a read-only disk did not fail"),
      (e: unknown) => e as DatabaseError,
    );
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err.message).toBe(
      `database ${path}: is a state file of the earlier format, which must be imported into a database beside it, and that cannot be written: read-only file system; put store.path on a writable disk (EROFS)`,
    );
  });

  it("when the disk becomes writable again, then a transaction (at most reopenIntervalMs after the last refusal) reopens the file for writing and commits, and what it held is kept", async () => {
    disk = mountTmpfs(4);
    const path = join(disk.dir, "w.db");
    open(path).close();
    crashedWith(path, ["anna"]);
    disk.readOnly();
    const db = SqliteDatabase.open({ path, reopenIntervalMs: 200 });
    opened.push(db);
    expect(() => insert(db, "bob")).toThrow(/EROFS/);
    expect(() => insert(db, "bob")).toThrow(/EROFS/); // within the interval: the same refusal, no reopen
    disk.writable();
    const committed = () => {
      try {
        insert(db, "bob");
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(committed, { timeout: 3000, interval: 50 }).toBe(true);
    expect(db.readOnly).toBe(false);
    expect(connections(db)).toEqual(["anna", "bob"]);
    db.close();
    expect(connections(open(path))).toEqual(["anna", "bob"]);
  });
});
