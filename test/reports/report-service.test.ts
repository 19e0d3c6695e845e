/**
 * Reports on their calendar, end to end (issue 17, point 5): the service, on the sandbox over loopback,
 * sends a report whose cron comes due a few seconds after it starts, through the outbox, to the sandbox's
 * Telegram (an ops chat) and to a local webhook receiver; and a report missed while the service was down
 * is sent once when it starts again, not once per occurrence it missed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TELEGRAM_MAX_TEXT } from "../../src/alerts/channels/telegram.ts";
import type { AlertMessage } from "../../src/alerts/types.ts";
import { startSandbox } from "../../src/sandbox/server.ts";
import { parseHtml } from "../../src/sandbox/telegram-html.ts";
import { parseWorld, type SentMessage } from "../../src/sandbox/world.ts";
import { botName, botUsername, control, fleetBots, healthyWorldSpec } from "../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver, type ReceivedRequest } from "../support/http-receiver.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

const ALERT_BOT = { token: "7999998:report-bot-Zx8", username: "ops_reports_bot", firstName: "Ops reports", webhook: { url: "" }, connections: [] };
const OPS_CHAT = -1001234567890;

/** The second of the minute `offsetMs` from `t0`: node-cron's seconds field, so a report comes due then. */
const secondAt = (t0: number, offsetMs: number) => new Date(t0 + offsetMs).getUTCSeconds();
const reportsIn = (requests: readonly ReceivedRequest[]) =>
  requests.map((r) => JSON.parse(r.body.toString("utf8")) as AlertMessage & { version: number }).filter((m) => m.kind === "report");
/** Waits until the wall clock reaches `at`. */
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

describe("reports on their cron, through the service", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await closeHttpReceivers();
  });

  it("when a report's cron comes due, then the digest goes once to the ops chat (compact HTML) and to the webhook (the digest as JSON), naming the bot still failing", async () => {
    const spec = healthyWorldSpec(2) as { bots: unknown[] };
    const sandbox = await startSandbox({ world: parseWorld({ ...spec, bots: [...spec.bots, ALERT_BOT] }) });
    cleanup.push(() => sandbox.close());
    await control(sandbox.url, "PATCH", `/bots/${botUsername(1)}`, { revoked: true });
    const hook = await httpReceiver();
    const t0 = Date.now();
    const config = {
      telegram: { apiRoot: sandbox.url, timeout: "2s" },
      schedule: { interval: "1s", concurrency: 4 },
      // No alert fires in this test: what reaches the channels is the report alone.
      alerts: { failAfter: 10_000, channels: { "ops-telegram": { type: "telegram", botToken: ALERT_BOT.token, chatId: OPS_CHAT }, hook: { type: "webhook", url: `${hook.url}/hook` } } },
      reports: [{ name: "weekly", cron: `${secondAt(t0, 4_000)} * * * * *`, timezone: "Europe/Berlin", window: "7d", channels: ["ops-telegram", "hook"] }],
      bots: fleetBots(2),
    };
    const { service } = await startTestService(config);
    cleanup.push(() => service.stop());
    await until("the revoked bot down", () => ([...service.monitor.statuses()].some((s) => s.name === botName(1) && s.health === "down") ? true : undefined), 10_000);
    expect(reportsIn(hook.requests), "nothing is sent at a first start: the report starts from its next occurrence").toEqual([]);

    const [report] = await until("the report at the webhook", () => (reportsIn(hook.requests).length > 0 ? reportsIn(hook.requests) : undefined), 10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3_000);
    expect(report).toMatchObject({ version: 1, key: "report/weekly", kind: "report", health: "down" });
    const digest = report!.report!;
    expect(Date.parse(digest.to) - Date.parse(digest.from)).toBe(7 * 86_400_000);
    expect(digest.failing).toEqual([expect.objectContaining({ bot: botName(1), health: "down", checks: ["token"] })]);

    const toOps = async () => ((await control(sandbox.url, "GET", "/messages")) as SentMessage[]).filter((m) => m.chatId === OPS_CHAT);
    const [sent] = await until("the report in the ops chat", async () => ((await toOps()).length > 0 ? toOps() : undefined), 10_000);
    // Telegram's own reading of the HTML: well formed, and what a person sees.
    const shown = parseHtml(sent!.text);
    if ("error" in shown) throw new Error(`Telegram would refuse the report's HTML: ${shown.error}`);
    expect(shown.text).toContain("REPORT: weekly report, last 7d");
    expect(shown.text).toContain(`Still failing now (1):\n• ${botName(1)}: down since`);
    expect(shown.text.length).toBeLessThanOrEqual(TELEGRAM_MAX_TEXT);

    // The occurrence passed: no second report within the minute.
    await sleep(1_500);
    expect(reportsIn(hook.requests)).toHaveLength(1);
    expect(await toOps()).toHaveLength(1);
    // Counted as every notification is, under its own kind.
    const metrics = await service.metrics.registry.metrics();
    expect(metrics).toContain('secretary_notifications_total{channel="hook",kind="report",result="sent"} 1\n');
    expect(metrics).toContain('secretary_notifications_total{channel="ops-telegram",kind="report",result="sent"} 1\n');
    // And in the history's notifications, as belonging to no incident.
    const recorded = await until("the report's deliveries in the history", async () => {
      const attempts = (await service.history.notifications({ from: t0, to: Date.now() + 1_000 })).filter((n) => n.kind === "report");
      return attempts.length === 2 ? attempts : undefined;
    }, 5_000);
    expect(recorded.map((n) => [n.channel, n.alertKey, n.incidentId, n.result]).sort()).toEqual([["hook", "report/weekly", null, "sent"], ["ops-telegram", "report/weekly", null, "sent"]]);
  }, 40_000);

  it("when occurrences pass while the service is down, then it sends one report at its next start, not one per occurrence missed", async () => {
    const hook = await httpReceiver();
    const t0 = Date.now();
    // Due 3 s, 5 s and 7 s after t0 (and again a minute later, past this test).
    const seconds = [3_000, 5_000, 7_000].map((ms) => secondAt(t0, ms)).join(",");
    const config = { alerts: { channels: { hook: { type: "webhook", url: `${hook.url}/hook` } } }, reports: [{ name: "daily", cron: `${seconds} * * * * *`, window: "1d", channels: ["hook"] }] };

    const first = await startTestService(config);
    await until("the report due at 3 s", () => (reportsIn(hook.requests).length > 0 ? true : undefined), 10_000);
    await first.service.stop();
    // Down across the occurrences at 5 s and 7 s.
    await sleepUntil(t0 + 8_000);
    expect(reportsIn(hook.requests)).toHaveLength(1);

    const restartedAt = Date.now();
    const second = await startTestService(config, {}, first.dir);
    cleanup.push(() => second.service.stop());
    const reports = await until("the missed report, at start", () => (reportsIn(hook.requests).length > 1 ? reportsIn(hook.requests) : undefined), 5_000);
    // Its window ends when it was sent, at the start.
    expect(Date.parse(reports[1]!.report!.to)).toBeGreaterThanOrEqual(restartedAt);
    expect(Date.parse(reports[1]!.report!.to)).toBeLessThan(restartedAt + 5_000);
    await sleep(2_500);
    expect(reportsIn(hook.requests), "one report for the two occurrences missed").toHaveLength(2);
  }, 40_000);
});
