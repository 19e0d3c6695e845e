import type { DatabaseSync } from "node:sqlite";
import type { Migration } from "../migrations/migration.ts";
import { DatabaseError } from "./errors.ts";

/**
 * Brings the database to the newest schema the code knows, in one transaction: a crash or an error in
 * any step leaves the schema as it was. `schema_version` holds one row per applied step. A database
 * written by a newer release is refused (an older release must not write tables it does not know).
 * Returns the schema version now in force.
 */
export function migrate(db: DatabaseSync, path: string, migrations: readonly Migration[]): number {
  checkNumbering(migrations);
  const latest = migrations.at(-1)?.version ?? 0;
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const row = db.prepare("SELECT MAX(version) AS version FROM schema_version").get() as { version: number | null };
    const current = row.version ?? 0;
    if (current > latest) throw schemaTooNew(path, current, latest);
    const record = db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
    for (const step of migrations.filter((m) => m.version > current)) {
      db.exec(step.sqlite);
      record.run(step.version, step.name, new Date().toISOString());
    }
    db.exec("COMMIT");
    return latest;
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}

/** A database written by a newer release: an older one must not write tables it does not know. */
export function schemaTooNew(path: string, current: number, latest: number): DatabaseError {
  return new DatabaseError(path, "SCHEMA_TOO_NEW", `written by a newer secretary-watch (schema version ${current}, this release knows up to ${latest}); upgrade secretary-watch or restore a backup taken before the upgrade`);
}

function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: numbered ${m.version}, expected ${i + 1} (steps are numbered from 1 without holes)`);
  });
}

/**
 * The schema version of a database opened read-only, checked against this release's steps: no table is
 * created and nothing is written. A database of an older schema is refused too (a reader must not
 * upgrade a file a running service of the older release writes).
 */
export function readSchemaVersion(db: DatabaseSync, path: string, migrations: readonly Migration[]): number {
  const latest = migrations.at(-1)?.version ?? 0;
  const table = db.prepare("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  const row = table ? (db.prepare("SELECT MAX(version) AS version FROM schema_version").get() as { version: number | null }) : undefined;
  const current = row?.version ?? 0;
  if (current > latest) throw new DatabaseError(path, "SCHEMA_TOO_NEW", `written by a newer secretary-watch (schema version ${current}, this release knows up to ${latest}); use the release that writes it`);
  if (current < latest) throw new DatabaseError(path, "SCHEMA_TOO_OLD", `schema version ${current}, this release reads ${latest}; start the service of this release once, which upgrades it`);
  return current;
}
