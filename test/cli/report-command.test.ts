import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/check-command.ts";
import { runReport, type ReportArgs } from "../../src/cli/report-command.ts";
import type { AlertMessage } from "../../src/alerts/types.ts";
import { parseConfig } from "../../src/config/load.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteHistory } from "../../src/store/sqlite/history.ts";
import { cli } from "../support/cli.ts";
import { closeHttpReceivers, httpReceiver } from "../support/http-receiver.ts";

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const SECRET = "report-hook-secret-0123456789";

/** The config the command reads: the store, a webhook channel, a pagerduty one and the weekly report. */
const configFor = (path: string, hookUrl = "http://127.0.0.1:9/hook") => ({
  store: { path },
  alerts: {
    channels: {
      hook: { type: "webhook", url: hookUrl, secret: SECRET },
      pager: { type: "pagerduty", routingKey: "R0UT1NGKEY0123456789ABCDEF012345" },
    },
  },
  reports: [{ name: "weekly", cron: "0 9 * * MON", window: "7d", channels: ["hook"] }],
});

async function report(config: Record<string, unknown>, args: ReportArgs = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runReport(parseConfig(JSON.stringify(config), {}, "test config"), args, (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

describe("secretary-watch report", () => {
  let dir: string;
  let path: string;
  let now: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "report-cli-"));
    path = join(dir, "watch.db");
    now = Date.now();
    // Ten days of a monitor still running: anna down for an hour 9 days ago (outside a week), bob down 2 days ago, and firing now.
    const db = SqliteDatabase.open({ path });
    const rows = new SqliteHistory(db);
    const run = rows.startRun(now - 10 * DAY);
    for (const bot of ["anna", "bob"]) rows.recordHealth(bot, { at: now - 10 * DAY, health: "healthy" });
    rows.recordHealth("anna", { at: now - 9 * DAY, health: "down" });
    rows.recordAlert({ at: now - 9 * DAY, key: "anna", kind: "fired", severity: "down", since: now - 9 * DAY, checks: [{ check: "token", status: "fail", message: "401" }] });
    rows.recordHealth("anna", { at: now - 9 * DAY + H, health: "healthy" });
    rows.recordAlert({ at: now - 9 * DAY + H, key: "anna", kind: "resolved", severity: "down", since: now - 9 * DAY });
    rows.recordHealth("bob", { at: now - 2 * DAY, health: "down" });
    rows.recordAlert({ at: now - 2 * DAY + MIN, key: "bob", kind: "fired", severity: "down", since: now - 2 * DAY, checks: [{ check: "webhook", status: "fail", message: "502 from the backend" }] });
    rows.heartbeat(run, now);
    db.close();
  });

  afterEach(async () => {
    await closeHttpReceivers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("when no channel is named, then the text digest of the first report's window is printed: the week's incident, and bob still failing", async () => {
    const r = await report(configFor(path));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^📊 REPORT: weekly report, last 7d: \d+\.\d\d% up, 1 incident, 1 bot still failing\n/);
    expect(r.stdout).toContain("Still failing now (1):\n• bob: down since");
    expect(r.stdout).toContain("Incidents, oldest first (1):\n• bob: down from");
    expect(r.stdout).toContain("   webhook (fail): 502 from the backend");
    expect(r.stdout).not.toContain("anna: down");
  });

  it("when --window 10d is given, then the earlier incident is in it too", async () => {
    const r = await report(configFor(path), { window: "10d" });
    expect(r.stdout).toContain("Incidents, oldest first (2):\n• anna: down from");
    expect(r.stdout).toContain("last 10d");
  });

  it("when --channel names a webhook, then the report is sent through it at once, signed, and the command says so", async () => {
    const hook = await httpReceiver();
    const r = await report(configFor(path, `${hook.url}/hook`), { channel: "hook" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sent {4}hook \(webhook\): weekly report, last 7d: .* 1 incident, 1 bot still failing\n$/);
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    const body = request!.body.toString("utf8");
    const signature = createHmac("sha256", SECRET).update(`${request!.headers["x-secretary-timestamp"] as string}.${body}`).digest("hex");
    expect(request!.headers["x-secretary-signature"]).toBe(`sha256=${signature}`);
    const message = JSON.parse(body) as AlertMessage;
    expect(message).toMatchObject({ kind: "report", key: "report/weekly" });
    expect(message.report!.incidents.map((i) => i.bot)).toEqual(["bob"]);
    expect(message.report!.failing.map((f) => f.bot)).toEqual(["bob"]);
  });

  it("when the channel refuses the report, then the command exits 1 with the channel's answer", async () => {
    const hook = await httpReceiver({ status: 410, body: "gone" });
    const r = await report(configFor(path, `${hook.url}/hook`), { channel: "hook" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED {2}hook \(webhook\): webhook channel "hook": .*410/);
  });

  it("when --channel or --window is wrong, then the error names the flag and what it expected", async () => {
    await expect(report(configFor(path), { channel: "mail" })).rejects.toThrow(new UsageError('--channel: no channel named "mail" under alerts.channels (configured: hook, pager)'));
    await expect(report(configFor(path), { channel: "pager" })).rejects.toThrow(
      new UsageError('--channel: "pager" is a pagerduty channel, which takes no reports: PagerDuty opens an incident for every event: a digest would page someone'),
    );
    await expect(report(configFor(path), { window: "5m" })).rejects.toThrow(new UsageError('--window: expected a duration from 1h to 90d such as 24h or 7d, got "5m"'));
  });

  it("when store.path names nothing, then it exits 2 and creates no file", async () => {
    const missing = join(dir, "none.db");
    const r = await report(configFor(missing));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`database ${missing}: no database here`);
    expect(existsSync(missing)).toBe(false);
  });

  it("when run as a command, then it prints the digest, and a bad flag exits 2", async () => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify(configFor(path)));
    const ok = await cli(["report", "--config", file, "--window", "24h"], {});
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("REPORT: weekly report, last 1d");
    const bad = await cli(["report", "--config", file, "--window", "soon"], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--window: expected a duration from 1h to 90d such as 24h or 7d, got "soon"');
  });
});
