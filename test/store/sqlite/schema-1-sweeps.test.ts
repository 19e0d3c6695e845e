import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initial } from "../../../src/store/migrations/001-initial.ts";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";
import { result } from "../contract-fixtures.ts";

const dbPath = () => join(mkdtempSync(join(tmpdir(), "sweep-batch-")), "secretary-watch.db");
const later = "2026-11-24T12:01:00.000Z";

describe("SqliteStore sweep times from an earlier schema", () => {
  it("when a database written by schema 1 (no sweep rows) is opened, then it is migrated and each result keeps the checkedAt of its bot_results row", async () => {
    const path = dbPath();
    const old = SqliteDatabase.open({ path, migrations: [initial] });
    const anna = result("anna", "healthy", later);
    old.run("INSERT INTO bot_results (bot, health, since, checked_at, status) VALUES (?, ?, ?, ?, ?)", "anna", "healthy", "2026-11-24T12:00:00.000Z", later, JSON.stringify(anna));
    old.close();
    const store = await SqliteStore.open<WatchState>({ path });
    expect(store.results.get("anna")).toEqual(anna);
    await store.close();
  });
});
