import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { DatabaseError } from "../../../src/store/sqlite/errors.ts";
import { MIGRATIONS, type Migration } from "../../../src/store/migrations/index.ts";
import { mountTmpfs, type ReadOnlyDisk } from "../../support/read-only-disk.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "sqlite-db-"));
const opened: SqliteDatabase[] = [];
const open = (path: string, migrations?: readonly Migration[]) => {
  const db = SqliteDatabase.open({ path, ...(migrations ? { migrations } : {}) });
  opened.push(db);
  return db;
};
let disk: ReadOnlyDisk | undefined;

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  disk?.close();
  disk = undefined;
});

const step = (version: number, sqlite: string): Migration => ({ version, name: `step ${version}`, sqlite, postgres: "" });

function openError(path: string, migrations?: readonly Migration[]): DatabaseError {
  try {
    open(path, migrations);
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseError);
    return err as DatabaseError;
  }
  throw new Error(`opening ${path} did not fail`);
}

describe("SqliteDatabase", () => {
  it("when a database is created, then it and its -wal and -shm files are mode 0600, in WAL mode, at the newest schema", () => {
    const path = join(tempDir(), "nested", "secretary-watch.db");
    const db = open(path);
    db.transaction(() => db.run("INSERT INTO connections (bot, connection_id) VALUES (?, ?)", "anna", "bc-1"));
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(file), file).toBe(true);
      expect(statSync(file).mode & 0o777, file).toBe(0o600);
    }
    expect(db.get<{ journal_mode: string }>("PRAGMA journal_mode")?.journal_mode).toBe("wal");
    expect(db.get<{ synchronous: number }>("PRAGMA synchronous")?.synchronous).toBe(1); // NORMAL
    expect(db.schemaVersion).toBe(MIGRATIONS.length);
    expect(db.all<{ version: number }>("SELECT version FROM schema_version ORDER BY version").map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("when an existing file has a wider mode, then opening it tightens it to 0600", () => {
    const path = join(tempDir(), "db");
    open(path).close();
    chmodSync(path, 0o644);
    open(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("when the database is opened again, then its data is kept and no step runs twice", () => {
    const path = join(tempDir(), "db");
    const first = open(path, [step(1, "CREATE TABLE t (a INTEGER)")]);
    first.transaction(() => first.run("INSERT INTO t (a) VALUES (42)"));
    first.close();
    const again = open(path, [step(1, "CREATE TABLE t (a INTEGER)"), step(2, "ALTER TABLE t ADD COLUMN b TEXT")]);
    expect(again.schemaVersion).toBe(2);
    expect(again.all("SELECT a, b FROM t")).toEqual([{ a: 42, b: null }]);
    expect(again.get<{ n: number }>("SELECT COUNT(*) AS n FROM schema_version")?.n).toBe(2);
  });

  it("when a step fails, then no step of that opening is applied", () => {
    const path = join(tempDir(), "db");
    open(path, [step(1, "CREATE TABLE t (a INTEGER)")]).close();
    expect(() => open(path, [step(1, "CREATE TABLE t (a INTEGER)"), step(2, "CREATE TABLE u (a)"), step(3, "THIS IS NOT SQL")])).toThrow();
    const db = open(path, [step(1, "CREATE TABLE t (a INTEGER)")]);
    expect(db.schemaVersion).toBe(1);
    expect(db.all("SELECT name FROM sqlite_master WHERE name = 'u'")).toEqual([]);
  });

  it("when the database is newer than the code, then it is refused with an error naming the file and both versions", () => {
    const path = join(tempDir(), "db");
    open(path, [step(1, "CREATE TABLE t (a)"), step(2, "CREATE TABLE u (a)")]).close();
    const err = openError(path, [step(1, "CREATE TABLE t (a)")]);
    expect(err.code).toBe("SCHEMA_TOO_NEW");
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/schema version 2, this release knows up to 1/);
  });

  it("when the steps are numbered with a hole, then opening fails naming the step", () => {
    expect(() => open(join(tempDir(), "db"), [step(1, "SELECT 1"), step(3, "SELECT 1")])).toThrow(/step 3: numbered 3, expected 2/);
  });

  it("when store.path is a directory, then the error names it and says so", () => {
    const path = join(tempDir(), "db");
    mkdirSync(path);
    const err = openError(path);
    expect(err.code).toBe("EISDIR");
    expect(err.message).toBe(`database ${path}: is a directory; store.path must name a file (EISDIR)`);
  });

  it("when store.path is a file that is not a database, then the error names it and it is left untouched", () => {
    const path = join(tempDir(), "db");
    writeFileSync(path, "these are notes, not a database\n".repeat(10));
    const err = openError(path);
    expect(err.code).toBe("SQLITE_NOTADB");
    expect(err.message).toContain(`database ${path}: not a database`);
    expect(statSync(path).size).toBe(320);
  });

  it("when the disk is read-only and there is no database yet, then the error names the file and EROFS", () => {
    disk = mountTmpfs(4);
    disk.readOnly();
    const path = join(disk.dir, "new.db");
    const err = openError(path);
    expect(err.code).toBe("EROFS");
    expect(err.message).toBe(`database ${path}: read-only file system; put store.path on a writable disk (EROFS)`);
  });

  it("when the disk is full, then the error names the file and that the disk is full", () => {
    disk = mountTmpfs(1);
    writeFileSync(join(disk.dir, "filler"), Buffer.alloc(1024 * 1024));
    const path = join(disk.dir, "db");
    const err = openError(path);
    expect(["ENOSPC", "SQLITE_FULL"]).toContain(err.code);
    expect(err.message).toContain(`database ${path}: no space left on the disk`);
  });

  it("when a transaction's function throws, then nothing of it is kept; when it returns, all of it is", () => {
    const db = open(join(tempDir(), "db"));
    const insert = (bot: string) => db.run("INSERT INTO connections (bot, connection_id) VALUES (?, 'bc')", bot);
    expect(() => db.transaction(() => { insert("a"); insert("b"); throw new Error("changed my mind"); })).toThrow("changed my mind");
    expect(db.transaction(() => { insert("c"); db.transaction(() => insert("d")); return "done"; })).toBe("done");
    expect(db.all<{ bot: string }>("SELECT bot FROM connections ORDER BY bot").map((r) => r.bot)).toEqual(["c", "d"]);
  });

  it("when a transaction's function is async, then it is refused and rolled back", () => {
    const db = open(join(tempDir(), "db"));
    expect(() => db.transaction(() => { db.run("INSERT INTO connections VALUES ('a', 'bc')"); return Promise.resolve(); })).toThrow(/must be synchronous/);
    expect(db.all("SELECT * FROM connections")).toEqual([]);
  });

  it("when a transaction is committed to disk, then the connection goes back to synchronous NORMAL", () => {
    const db = open(join(tempDir(), "db"));
    db.transaction(() => db.run("INSERT INTO connections VALUES ('a', 'bc')"), { durability: "disk" });
    expect(() => db.transaction(() => { throw new Error("no"); }, { durability: "disk" })).toThrow("no");
    expect(db.get<{ synchronous: number }>("PRAGMA synchronous")?.synchronous).toBe(1);
  });

  it("when the same SQL is asked twice, then the prepared statement is reused", () => {
    const db = open(join(tempDir(), "db"));
    expect(db.statement("SELECT 1")).toBe(db.statement("SELECT 1"));
  });
});
