import { describe, expect, it } from "vitest";
import { runHistory, type HistoryReport } from "../../src/cli/history-command.ts";
import { parseConfig } from "../../src/config/load.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { PostgresHistoryStore } from "../../src/store/postgres/history-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { testDatabaseUrl } from "../support/test-database.ts";

const MIN = 60_000;
const bots = [{ name: "anna", token: "7100001:history-pg-1-Zz9", username: "anna_secretary_bot", owner: { id: 101 } }, { name: "bob", token: "7100002:history-pg-2-Zz9", username: "bob_secretary_bot", owner: { id: 102 } }];

async function history(url: string, args: Parameters<typeof runHistory>[1] = {}) {
  let stdout = "";
  let stderr = "";
  const config = parseConfig(JSON.stringify({ store: { url }, bots }), {}, "test config");
  const code = await runHistory(config, args, (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

describe("secretary-watch history on store.url", () => {
  it("when replicas recorded the history in PostgreSQL, then the command reads the whole fleet's uptime and incidents from there, password masked", async () => {
    const url = (await testDatabaseUrl()).replace("postgres@", "postgres:hunter2@");
    let recorder: PostgresHistoryStore | undefined;
    const store = await PostgresStore.open<WatchState>({ url, replica: "r1", history: (pool, commit) => (recorder = new PostgresHistoryStore(pool, commit, "r1")) });
    const now = Date.now();
    recorder!.begin(now - 60 * MIN);
    recorder!.recordHealth("anna", { at: now - 60 * MIN, health: "healthy" });
    recorder!.recordHealth("bob", { at: now - 60 * MIN, health: "healthy" });
    recorder!.recordHealth("anna", { at: now - 30 * MIN, health: "down", message: "token fail: 401" });
    recorder!.recordAlert({ at: now - 29 * MIN, key: "anna", kind: "fired", severity: "down", since: now - 30 * MIN, checks: [{ check: "token", status: "fail", message: "401 Unauthorized" }] });
    recorder!.heartbeat(now); // the replica is running: its heartbeat is now
    await store.touch();
    const r = await history(url, { json: true, since: "2h" });
    await store.close();
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as HistoryReport;
    expect(report.database).not.toContain("hunter2");
    expect(report.bots.map((b) => [b.bot, b.incident?.worst ?? null])).toEqual([["anna", "down"], ["bob", null]]);
    const bob = report.bots.find((b) => b.bot === "bob")!;
    expect(bob.uptime.up).toBe(1);
  });

  it("when the database at store.url has no secretary-watch schema or cannot be reached, then it exits 2 naming it, password masked", async () => {
    const empty = (await testDatabaseUrl()).replace("postgres@", "postgres:hunter2@");
    const none = await history(empty);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/holds no secretary-watch schema; start the service on it once/);
    expect(none.stderr).not.toContain("hunter2");
    const gone = await history("postgres://u:hunter2@127.0.0.1:9/watch");
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^secretary-watch history: database postgres:\/\/u:\*\*\*\*@127\.0\.0\.1:9\/watch: cannot be read/);
    expect(gone.stderr).not.toContain("hunter2");
  });
});
