import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../src/store/migrations/index.ts";
import { createPool } from "../../../src/store/postgres/pool.ts";
import { migratePostgres } from "../../../src/store/postgres/migrate.ts";
import { testDatabaseUrl } from "../../support/test-database.ts";

describe("PostgreSQL schema migrations", () => {
  it("when replicas migrate an empty database at once, then every step is applied once and both find the newest version", async () => {
    const url = await testDatabaseUrl();
    const a = createPool({ url });
    const b = createPool({ url });
    try {
      const versions = await Promise.all([migratePostgres(a, "test", MIGRATIONS), migratePostgres(b, "test", MIGRATIONS)]);
      expect(versions).toEqual([MIGRATIONS.length, MIGRATIONS.length]);
      const { rows } = await a.query<{ version: number }>("SELECT version FROM schema_version ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      // The same tables as SQLite's schema.
      const tables = await a.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
      expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(["api_bots", "bot_results", "alert_states", "outbox", "health_transitions", "fleet_uptime", "shard_leases", "state_changes"]));
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("when the database was written by a newer release, then start is refused with both versions named", async () => {
    const url = await testDatabaseUrl();
    const pool = createPool({ url });
    try {
      await migratePostgres(pool, "test", MIGRATIONS);
      await pool.query("INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 'x')");
      const latest = MIGRATIONS.at(-1)!.version;
      await expect(migratePostgres(pool, "postgres://db/x", MIGRATIONS)).rejects.toThrow(`newer secretary-watch (schema version 99, this release knows up to ${latest})`);
    } finally {
      await pool.end();
    }
  });

  it("when a step fails, then no step of that run is kept", async () => {
    const url = await testDatabaseUrl();
    const pool = createPool({ url });
    try {
      const broken = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: "broken", sqlite: "", postgres: "CREATE TABLE ok_one (x INT); SELECT no_such_column FROM ok_one;" }];
      await expect(migratePostgres(pool, "test", broken)).rejects.toThrow(/no_such_column/);
      const { rows } = await pool.query("SELECT to_regclass('public.api_bots') AS t");
      expect(rows[0].t).toBeNull();
    } finally {
      await pool.end();
    }
  });
});
