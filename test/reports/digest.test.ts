import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderHtml, renderHtmlDocument, renderText, subjectLine } from "../../src/alerts/channels/render.ts";
import { TELEGRAM_MAX_TEXT } from "../../src/alerts/channels/telegram.ts";
import { chatCard } from "../../src/alerts/channels/chat-card.ts";
import { buildDigest, type ReportDigest } from "../../src/reports/digest.ts";
import { reportMessage } from "../../src/reports/report-message.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteHistory } from "../../src/store/sqlite/history.ts";
import { openStoredHistory } from "../../src/store/sqlite/history-reader.ts";

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const WEEK = 7 * DAY;

/**
 * Issue 17, point 5: a store holding a week of history (and what came just before it), written by the
 * history's own writer, read back through the read-only reader the command line uses.
 */
describe("a report's digest of a week of history", () => {
  let dir: string;
  let path: string;
  let now: number;
  let from: number;

  /** An incident of `bot` from `start` to `end` (null: still open), recorded as the alert engine records one. */
  function incident(rows: SqliteHistory, bot: string, start: number, end: number | null, severity: "degraded" | "down", check = "token"): void {
    rows.recordHealth(bot, { at: start, health: severity });
    rows.recordAlert({ at: start + MIN, key: bot, kind: "fired", severity, since: start, checks: [{ check, status: "fail", message: `${check} failed <at once> & loudly` }] });
    if (end === null) return;
    rows.recordHealth(bot, { at: end, health: "healthy" });
    rows.recordAlert({ at: end, key: bot, kind: "resolved", severity, since: start });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "report-digest-"));
    path = join(dir, "watch.db");
    now = Date.now();
    from = now - WEEK;
    const db = SqliteDatabase.open({ path });
    const rows = new SqliteHistory(db);
    const run = rows.startRun(now - 9 * DAY);
    for (const bot of ["anna", "bob", "cleo"]) rows.recordHealth(bot, { at: now - 9 * DAY, health: "healthy" });
    // Just outside: ended a minute before the window opened.
    incident(rows, "bob", from - 2 * H, from - MIN, "down");
    // Across the edge: began before the window, ended inside it (it overlaps the week, so it is the week's).
    incident(rows, "cleo", from - H, from + H, "degraded", "rights");
    // Just inside: began a minute after the window opened, lasted 30 minutes.
    incident(rows, "anna", from + MIN, from + 31 * MIN, "down");
    // Mid-week, an hour and a half.
    incident(rows, "bob", now - 3 * DAY, now - 3 * DAY + 90 * MIN, "down", "webhook");
    // Still open: anna went down two hours ago.
    incident(rows, "anna", now - 2 * H, null, "down");
    // Notifications: one sent (not listed), one retried then sent, one given up; one before the window (not listed).
    rows.recordNotification({ at: now - 3 * DAY, alertKey: "bob", incidentId: null, channel: "ops-mail", kind: "firing", result: "sent", attempts: 1 });
    rows.recordNotification({ at: now - 2 * H, alertKey: "anna", incidentId: null, channel: "hook", kind: "firing", result: "failed", attempts: 1, error: "webhook channel \"hook\": 503" });
    rows.recordNotification({ at: now - H, alertKey: "anna", incidentId: null, channel: "hook", kind: "firing", result: "dropped", attempts: 5, error: "webhook channel \"hook\": 410 Gone" });
    rows.recordNotification({ at: from - H, alertKey: "bob", incidentId: null, channel: "pager", kind: "firing", result: "dropped", attempts: 9, error: "old" });
    rows.heartbeat(run, now);
    db.close();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function digestOf(windowMs = WEEK): Promise<ReportDigest> {
    const stored = openStoredHistory(path);
    try {
      return await buildDigest(stored.history, { name: "weekly", now, windowMs, window: "7d", failing: [{ bot: "anna", health: "down", since: new Date(now - 2 * H).toISOString(), checks: ["token"] }] });
    } finally {
      await stored.close();
    }
  }

  it("when the digest is built, then it lists exactly the incidents of the week, oldest first, with start, duration, worst health and failing checks", async () => {
    const d = await digestOf();
    expect(d.from).toBe(new Date(from).toISOString());
    expect(d.to).toBe(new Date(now).toISOString());
    expect(d.incidents.map((i) => [i.bot, i.start, i.end, i.durationMs, i.worst, i.checks.map((c) => c.check)])).toEqual([
      ["cleo", new Date(from - H).toISOString(), new Date(from + H).toISOString(), 2 * H, "degraded", ["rights"]],
      ["anna", new Date(from + MIN).toISOString(), new Date(from + 31 * MIN).toISOString(), 30 * MIN, "down", ["token"]],
      ["bob", new Date(now - 3 * DAY).toISOString(), new Date(now - 3 * DAY + 90 * MIN).toISOString(), 90 * MIN, "down", ["webhook"]],
      ["anna", new Date(now - 2 * H).toISOString(), null, 2 * H, "down", ["token"]],
    ]);
    expect(d.incidentsCut).toBe(false);
  });

  it("when the digest is built, then the fleet's uptime weighs each bot's known time and the worst bots come lowest first", async () => {
    const d = await digestOf();
    // Known all week for each bot; down: anna 30 min + 2 h, bob 90 min, cleo never (degraded is up).
    const up = { anna: 1 - 150 / (7 * 24 * 60), bob: 1 - 90 / (7 * 24 * 60), cleo: 1 };
    expect(d.fleet.bots).toBe(3);
    expect(d.fleet.up).toBeCloseTo((up.anna + up.bob + up.cleo) / 3, 6);
    expect(d.fleet.known).toBeCloseTo(1, 6);
    // cleo was never down: not among the worst.
    expect(d.worst.map((w) => w.bot)).toEqual(["anna", "bob"]);
    expect(d.worst[0]!.up).toBeCloseTo(up.anna, 6);
  });

  it("when notifications failed or were dropped in the week, then each channel is listed with its counts and last error, and nothing before the week", async () => {
    const d = await digestOf();
    expect(d.notifications).toEqual([{ channel: "hook", failed: 1, dropped: 1, lastError: 'webhook channel "hook": 410 Gone' }]);
  });

  it("when a shorter window is asked, then the incidents before it are not listed", async () => {
    const d = await digestOf(DAY);
    expect(d.incidents.map((i) => i.bot)).toEqual(["anna"]);
    expect(d.notifications.map((n) => n.channel)).toEqual(["hook"]);
  });

  it("when the report is rendered for e-mail, then the text and HTML parts list every incident with its checks, every value escaped", async () => {
    const message = reportMessage(await digestOf(), { publicUrl: "https://watch.example.com" });
    expect(message).toMatchObject({ key: "report/weekly", kind: "report", health: "down" });
    expect(subjectLine(message)).toMatch(/^\[REPORT\] weekly report, last 7d: \d+\.\d\d% up, 4 incidents, 1 bot still failing$/);
    const text = renderText(message);
    expect(text).toContain("Still failing now (1):\n• anna: down since");
    expect(text).toContain("Incidents, oldest first (4):");
    expect(text).toContain("• bob: down from");
    expect(text).toContain("for 1h 30m");
    expect(text).toContain("still open");
    expect(text).toContain("   webhook (fail): webhook failed <at once> & loudly");
    expect(text).toContain('• hook: 1 failed attempt, 1 dropped (never delivered); last error: webhook channel "hook": 410 Gone');
    expect(text).toContain("Status page: https://watch.example.com");
    const html = renderHtmlDocument(message);
    expect(html).toContain("webhook failed &lt;at once&gt; &amp; loudly");
    expect(html).not.toContain("<at once>");
  });

  it("when a bad week has 400 incidents, then Telegram's compact HTML stays within one message and says how many it left out", async () => {
    const d = await digestOf();
    const many: ReportDigest = { ...d, incidents: Array.from({ length: 400 }, (_, i) => ({ ...d.incidents[0]!, bot: `bot-${i}` })) };
    const html = renderHtml(reportMessage(many), "\n", "compact");
    expect(html.length).toBeLessThanOrEqual(TELEGRAM_MAX_TEXT);
    expect(html).toContain("… and 385 more");
    expect(renderText(reportMessage(many))).toContain("bot-399");
  });

  it("when the report is a chat card, then its facts are the period and the fleet's figures and its items the failing bots and incidents", async () => {
    const card = chatCard(reportMessage(await digestOf()));
    expect(card.tone).toBe("down");
    expect(card.title).toMatch(/^📊 REPORT: weekly report/);
    expect(card.facts.map((f) => f.label)).toEqual(["Period", "Fleet uptime", "Incidents", "Still failing", "Not delivered at once"]);
    expect(card.checksHeading).toBe("Still failing (1) and incidents (4)");
    expect(card.checks.map((c) => `${c.check} ${c.status}`)).toEqual(["anna fail", "cleo warn", "anna fail", "bob fail", "anna fail"]);
  });
});
