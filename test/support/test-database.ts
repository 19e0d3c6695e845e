import { inject, onTestFinished } from "vitest";
import { createDatabase } from "./postgres.ts";

/** A fresh database on the run's PostgreSQL (postgres-global.ts), dropped when the test finishes. */
export async function testDatabaseUrl(): Promise<string> {
  const db = await createDatabase(inject("postgresAdminUrl"));
  onTestFinished(() => db.drop());
  return db.url;
}
