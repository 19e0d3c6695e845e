import { createHash } from "node:crypto";
import { describe } from "vitest";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { createDatabase, startPostgres, type RunningPostgres } from "../support/postgres.ts";
import { testDatabaseUrl } from "../support/test-database.ts";
import { storeContract } from "./contract.ts";

// The same place is the same replica: a store opened again on a database picks up where it left off.
const open = (url: string, onError?: (err: Error) => void) =>
  PostgresStore.open<WatchState>({
    url,
    replica: `contract-${createHash("sha1").update(url).digest("hex").slice(0, 8)}`,
    retryIntervalMs: 20,
    pollIntervalMs: 50,
    ...(onError ? { onError } : {}),
  });

describe("the store contract on PostgreSQL", () => {
  let server: RunningPostgres | undefined;
  storeContract({
    fresh: testDatabaseUrl,
    open,
    outage: {
      what: "the server is stopped",
      setup: async () => void (server = await startPostgres()),
      teardown: async () => server?.destroy(),
      fresh: async () => (await createDatabase(server!.adminUrl)).url,
      begin: () => server!.stop("fast"),
      end: () => server!.start(),
    },
  });
});
