import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/check-command.ts";
import { runHistory, type HistoryReport } from "../../src/cli/history-command.ts";
import { parseConfig } from "../../src/config/load.ts";
import { MIGRATIONS } from "../../src/store/migrations/index.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteHistory } from "../../src/store/sqlite/history.ts";
import { cli } from "../support/cli.ts";

const MIN = 60_000;
const H = 60 * MIN;
const bot = (name: string, i: number) => ({ name, token: `71000${i}:history-cli-${i}-Zz9`, username: `${name}_secretary_bot`, owner: { id: 100 + i } });
const BOTS = [bot("anna", 1), bot("bob", 2), bot("cleo", 3)];

/** A config whose store.path is `path`, as the service and the CLI read it. */
const configFor = (path: string) => parseConfig(JSON.stringify({ store: { path }, bots: BOTS }), {}, "test config");

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const schemaVersions = (path: string) => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT version FROM schema_version ORDER BY version").all().map((r) => Number(r.version));
  } finally {
    db.close();
  }
};

/** Runs the command in process: its exit code, stdout and stderr. */
async function history(path: string, args: Parameters<typeof runHistory>[1] = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runHistory(configFor(path), args, (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

describe("secretary-watch history", () => {
  let dir: string;
  let path: string;
  let now: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "history-cli-"));
    path = join(dir, "watch.db");
    now = Date.now();
    // Two hours of a monitor that stopped a minute ago: anna was down for 30 minutes, bob healthy throughout.
    const db = SqliteDatabase.open({ path });
    const rows = new SqliteHistory(db);
    const run = rows.startRun(now - 2 * H);
    rows.recordHealth("anna", { at: now - 2 * H, health: "healthy" });
    rows.recordHealth("bob", { at: now - 2 * H, health: "healthy" });
    rows.recordHealth("anna", { at: now - H, health: "down", message: "token fail: 401" });
    const since = now - H;
    const fired = rows.recordAlert({ at: since + MIN, key: "anna", kind: "fired", severity: "down", since, checks: [{ check: "token", status: "fail", message: "401 Unauthorized" }] });
    rows.recordNotification({ at: since + MIN, alertKey: "anna", incidentId: fired.id, channel: "ops", kind: "firing", result: "sent", attempts: 1 });
    rows.recordHealth("anna", { at: now - 30 * MIN, health: "healthy" });
    rows.recordAlert({ at: now - 30 * MIN, key: "anna", kind: "resolved", severity: "down", since });
    rows.stopRun(run, now - MIN);
    db.close();
  });

  it("when --json is asked, then each bot's uptime over the last 7 days and the incident come from the store", async () => {
    const r = await history(path, { json: true });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as HistoryReport;
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(7 * 24 * H);
    expect(report.database).toBe(path);
    expect(report.bots.map((b) => b.bot)).toEqual(["anna", "bob", "cleo"]);
    const [anna, bob, cleo] = report.bots;
    // Known: the run's 119 minutes; anna was down 30 of them.
    expect(anna!.uptime.up).toBeCloseTo(89 / 119, 6);
    expect(anna!.uptime.known).toBeCloseTo((119 * MIN) / (7 * 24 * H), 6);
    expect(anna!.incidents).toBe(1);
    expect(anna!.incident).toBeNull();
    expect(bob!.uptime).toEqual({ up: 1, healthy: 1, known: expect.closeTo((119 * MIN) / (7 * 24 * H), 6) });
    expect(cleo!.uptime).toEqual({ up: null, healthy: null, known: 0 });
    expect(report.incidents).toEqual([
      {
        id: `anna@${new Date(now - H).toISOString()}`, bot: "anna", start: new Date(now - H).toISOString(), firedAt: new Date(now - H + MIN).toISOString(),
        end: new Date(now - 30 * MIN).toISOString(), worst: "down", checks: [{ check: "token", status: "fail", message: "401 Unauthorized" }],
        notifications: [{ channel: "ops", kind: "firing", at: new Date(now - H + MIN).toISOString(), result: "sent" }], silenced: false,
      },
    ]);
  });

  it("when --bot and --since are given, then only that bot over that range is told", async () => {
    const report = JSON.parse((await history(path, { json: true, bot: "anna", since: "1h" })).stdout) as HistoryReport;
    expect(report.bots.map((b) => b.bot)).toEqual(["anna"]);
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(H);
    // The last hour: 59 known minutes (the run stopped a minute ago), the first 30 down.
    expect(report.bots[0]!.uptime.up).toBeCloseTo(29 / 59, 3);
    expect(report.incidents).toHaveLength(1);
  });

  it("when a person reads the table, then it has a line per bot with percentages and the incident with who was told", async () => {
    const r = await history(path);
    expect(r.code).toBe(0);
    console.log(`history CLI table:\n${r.stdout}`);
    expect(r.stdout).toMatch(/^anna +74\.78% +74\.78% +1\.18% +1 +-$/m);
    expect(r.stdout).toMatch(/^bob +100% +100% /m);
    expect(r.stdout).toMatch(/^cleo +no data +no data +0\.00% +0 +-$/m);
    expect(r.stdout).toContain("anna  down  ");
    expect(r.stdout).toContain("(30m)");
    expect(r.stdout).toContain("token fail: 401 Unauthorized");
    expect(r.stdout).toContain("notified: ops firing sent");
    for (const b of BOTS) expect(r.stdout).not.toContain(b.token.split(":")[1]);
  });

  it("when it has read the database, then not a byte of it changed and no migration ran", async () => {
    const before = sha(path);
    expect((await history(path, { json: true })).code).toBe(0);
    expect((await history(path)).code).toBe(0);
    expect(sha(path)).toBe(before);
    expect(schemaVersions(path)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(existsSync(`${path}-journal`)).toBe(false);
  });

  it("when the database has an older schema, then it exits 2 saying so, and leaves the upgrade to the service", async () => {
    const old = join(dir, "old.db");
    SqliteDatabase.open({ path: old, migrations: MIGRATIONS.slice(0, 1) }).close();
    const r = await history(old);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`database ${old}: schema version 1, this release reads ${MIGRATIONS.length}; start the service of this release once`);
    expect(schemaVersions(old)).toEqual([1]);
  });

  it("when store.path names nothing, then it exits 2 and creates no file", async () => {
    const missing = join(dir, "none", "watch.db");
    const r = await history(missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`database ${missing}: no database here`);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, "none"))).toBe(false);
  });

  it("when store.path holds a state file of the earlier format, then it exits 2 and neither imports nor renames it", async () => {
    const legacy = join(dir, "state.json");
    writeFileSync(legacy, JSON.stringify({ results: {}, alerts: {}, outbox: [] }));
    const before = sha(legacy);
    const r = await history(legacy);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("a state file of the earlier format, not imported yet");
    expect(sha(legacy)).toBe(before);
    expect(existsSync(`${legacy}.imported`)).toBe(false);
  });

  it.each([
    [{ since: "soon" }, '--since: expected a duration such as 24h, 7d or 30d, got "soon"'],
    [{ since: "0s" }, '--since: expected a duration such as 24h, 7d or 30d, got "0s"'],
    [{ since: "500d" }, '--since: at most 400d, got "500d"'],
    [{ bot: "zed" }, '--bot: no bot named "zed" in the config or in the history'],
  ])("when the arguments are %j, then it is a usage error: %s", async (args, message) => {
    await expect(history(path, args)).rejects.toThrow(new UsageError(message));
  });

  it("when run as the command, then a bad argument and a missing database exit 2 with the message on stderr", async () => {
    const file = join(dir, "secretary-watch.yaml");
    writeFileSync(file, JSON.stringify({ store: { path: join(dir, "elsewhere.db") }, bots: BOTS }));
    const bad = await cli(["history", "--config", file, "--since", "soon"], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since: expected a duration such as 24h, 7d or 30d, got "soon"');
    const none = await cli(["history", "--config", file], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no database here");
    expect(none.stdout).toBe("");
  }, 30_000);
});
