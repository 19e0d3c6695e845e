import { describe } from "vitest";
import { openLowdbStore } from "../../src/store/open-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { fileEngine, storeContract } from "./contract.ts";

describe("the store contract on the lowdb file", () => {
  storeContract(
    fileEngine("state.json", (path, onError) => openLowdbStore<WatchState>({ path, flushIntervalMs: 10, ...(onError ? { onError } : {}) })),
  );
});
