import type { TestProject } from "vitest/node";
import { startPostgres, type RunningPostgres } from "./postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The shared test cluster's superuser URL (test/support/postgres.ts); tests make a database each. */
    postgresAdminUrl: string;
  }
}

/**
 * One PostgreSQL cluster for the whole run (vitest globalSetup; about two seconds at start), shared by
 * every worker. A test that stops or restarts its server starts a cluster of its own (startPostgres).
 */
let running: RunningPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  running = await startPostgres();
  project.provide("postgresAdminUrl", running.adminUrl);
}

export async function teardown(): Promise<void> {
  await running?.destroy();
}
