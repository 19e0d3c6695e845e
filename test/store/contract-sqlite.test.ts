import { describe } from "vitest";
import { openSqliteStore } from "../../src/store/open-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { fileEngine, storeContract } from "./contract.ts";

describe("the store contract on SQLite", () => {
  storeContract(
    fileEngine("secretary-watch.db", (path, onError) => openSqliteStore<WatchState>({ path, retryIntervalMs: 20, ...(onError ? { onError } : {}) })),
  );
});
