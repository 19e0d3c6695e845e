import type pg from "pg";
import type { Migration } from "../migrations/migration.ts";
import { inTransaction } from "./pool.ts";

/** Any fixed number: the advisory lock every replica takes to migrate, so two never migrate at once. */
const MIGRATION_LOCK = 7_355_608;

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchemaError";
  }
}

/**
 * Brings the database to the newest schema the code knows, in one transaction (PostgreSQL's DDL is
 * transactional: a failed step leaves the schema as it was), under an advisory lock: replicas starting
 * together migrate once, the others wait and find it done. A database written by a newer release is
 * refused, as on SQLite. Returns the schema version now in force.
 */
export async function migratePostgres(pool: pg.Pool, where: string, migrations: readonly Migration[]): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: numbered ${m.version}, expected ${i + 1} (steps are numbered from 1 without holes)`);
  });
  const latest = migrations.at(-1)?.version ?? 0;
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const { rows } = await client.query<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_version");
    const current = rows[0]?.version ?? 0;
    if (current > latest)
      throw new SchemaError(`database ${where}: written by a newer secretary-watch (schema version ${current}, this release knows up to ${latest}); upgrade secretary-watch or restore a backup taken before the upgrade`);
    for (const step of migrations.filter((m) => m.version > current)) {
      await client.query(step.postgres);
      await client.query("INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)", [step.version, step.name, new Date().toISOString()]);
    }
    return latest;
  });
}
