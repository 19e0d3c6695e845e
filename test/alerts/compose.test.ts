import { describe, expect, it } from "vitest";
import { MONITOR_KEY, composeMessage, composeMonitorMessage } from "../../src/alerts/compose.ts";
import { telegramUnreachable } from "../../src/alerts/reachability.ts";
import type { AlertEvent } from "../../src/alerts/state-machine.ts";
import type { BotStatus, CheckResult, CheckStatus, Health } from "../../src/model.ts";
import { alertMessage } from "../support/alert-fixtures.ts";

const HOUR = 3_600_000;
const bot = { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip" } };

const result = (check: string, status: CheckStatus, extra: Partial<CheckResult> = {}): CheckResult => ({
  check,
  status,
  durationMs: 12,
  at: "2026-11-24T10:05:00.000Z",
  since: "2026-11-24T10:00:00.000Z",
  ...(status !== "ok" && status !== "skipped" && { message: `${check} observed`, remediation: `${check} remedy` }),
  ...extra,
});

const status = (health: Health, checks: CheckResult[], name = "anna"): BotStatus => ({
  name,
  username: `${name}_secretary_bot`,
  health,
  since: "2026-11-24T10:00:00.000Z",
  checkedAt: "2026-11-24T10:05:00.000Z",
  checks,
  observed: {},
});

const firing: AlertEvent = { kind: "firing", severity: "down", since: "2026-11-24T10:00:00.000Z", at: "2026-11-24T10:05:00.000Z" };

const downStatus = status("down", [
  result("token", "ok"),
  result("identity", "ok"),
  result("business-mode", "ok"),
  result("connection", "fail", { message: "Business connection is disabled", remediation: "Re-enable the bot in Telegram Business → Chatbots", impact: "down", since: "2026-11-24T09:58:00.000Z" }),
  result("rights", "skipped"),
  result("scope", "skipped"),
  result("webhook", "warn", { message: "150 updates pending", remediation: "Check the webhook handler" }),
  result("round-trip", "unknown", { message: "test account offline" }),
]);

describe("composeMessage", () => {
  it("when a bot alert fires, then the message carries the bot, the event and every failing or warning check in sweep order", () => {
    const message = composeMessage(firing, downStatus, bot, { repeatIntervalMs: 4 * HOUR });
    expect(message).toEqual(
      alertMessage({
        bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip" } },
        since: "2026-11-24T10:00:00.000Z",
        at: "2026-11-24T10:05:00.000Z",
        activeUntil: "2026-11-24T18:05:00.000Z",
        checks: [
          { check: "connection", status: "fail", message: "Business connection is disabled", remediation: "Re-enable the bot in Telegram Business → Chatbots", since: "2026-11-24T09:58:00.000Z" },
          { check: "webhook", status: "warn", message: "150 updates pending", remediation: "Check the webhook handler", since: "2026-11-24T10:00:00.000Z" },
        ],
      }),
    );
  });

  it.each<[string, AlertEvent, string]>([
    ["a degraded firing", { ...firing, severity: "degraded" }, "anna (@anna_secretary_bot) is degraded"],
    ["an escalation", { ...firing, escalatedFrom: "degraded" }, "anna (@anna_secretary_bot) is down (was degraded)"],
    ["a reminder", { ...firing, kind: "reminder" }, "anna (@anna_secretary_bot) is still down"],
    ["a resolution", { ...firing, kind: "resolved", endsAt: firing.at }, "anna (@anna_secretary_bot) is healthy again (was down)"],
  ])("when the event is %s, then the summary reads as expected", (_name, event, summary) => {
    expect(composeMessage(event, downStatus, bot, { repeatIntervalMs: HOUR }).summary).toBe(summary);
  });

  it("when the event escalates, then the message says from which severity", () => {
    const message = composeMessage({ ...firing, escalatedFrom: "degraded" }, downStatus, bot, { repeatIntervalMs: HOUR });
    expect(message.escalatedFrom).toBe("degraded");
  });

  it("when the alert resolves, then health is healthy, endsAt is set and it is active only until it ended", () => {
    const resolved: AlertEvent = { kind: "resolved", severity: "down", since: firing.since, at: "2026-11-24T11:00:00.000Z", endsAt: "2026-11-24T11:00:00.000Z" };
    const message = composeMessage(resolved, status("healthy", [result("token", "ok")]), bot, { repeatIntervalMs: HOUR });
    expect(message).toMatchObject({ kind: "resolved", severity: "down", health: "healthy", endsAt: "2026-11-24T11:00:00.000Z", activeUntil: "2026-11-24T11:00:00.000Z", checks: [] });
  });

  it("when a failing check has no message, then the message field is empty text rather than missing", () => {
    const bare = status("down", [result("token", "fail", { message: undefined, remediation: undefined })]);
    expect(composeMessage(firing, bare, bot, { repeatIntervalMs: HOUR }).checks).toEqual([
      { check: "token", status: "fail", message: "", remediation: "", since: "2026-11-24T10:00:00.000Z" },
    ]);
  });

  it("when text contains markup characters, then it is passed through unescaped for the channels to escape", () => {
    const odd = status("down", [result("webhook", "fail", { message: "<b>Bad</b> & *gateway*_" })]);
    expect(composeMessage(firing, odd, bot, { repeatIntervalMs: HOUR }).checks[0]?.message).toBe("<b>Bad</b> & *gateway*_");
  });

  for (const [publicUrl, url] of [
    [undefined, undefined],
    ["", undefined],
    ["https://watch.example.com", "https://watch.example.com/#bot-anna"],
    ["https://watch.example.com/", "https://watch.example.com/#bot-anna"],
    ["https://example.com/watch//", "https://example.com/watch/#bot-anna"],
  ] as const) {
    it(`when publicUrl is ${JSON.stringify(publicUrl)}, then the url is ${url ?? "absent"}`, () => {
      const message = composeMessage(firing, downStatus, bot, { repeatIntervalMs: HOUR, ...(publicUrl !== undefined && { publicUrl }) });
      expect(message.url).toBe(url);
      expect("url" in message).toBe(url !== undefined);
    });
  }
});

describe("monitor alert", () => {
  const info = { unknownBots: 7, totalBots: 10, sample: ["getMe: connect ETIMEDOUT 149.154.167.220:443", "getMe: socket hang up"] };

  it("when the monitor alert fires, then it is keyed monitor, lists the sample errors as unknown and links the page", () => {
    const message = composeMonitorMessage(firing, info, { repeatIntervalMs: HOUR, publicUrl: "https://watch.example.com/" });
    expect(message).toMatchObject({
      key: MONITOR_KEY,
      scope: "monitor",
      kind: "firing",
      severity: "down",
      health: "unknown",
      summary: "secretary-watch cannot reach Telegram: 7 of 10 bots unknown",
      activeUntil: "2026-11-24T12:05:00.000Z",
      url: "https://watch.example.com/",
    });
    expect(message.bot).toBeUndefined();
    expect(message.checks.map((c) => [c.check, c.status, c.message])).toEqual([
      ["telegram", "unknown", "getMe: connect ETIMEDOUT 149.154.167.220:443"],
      ["telegram", "unknown", "getMe: socket hang up"],
    ]);
    expect(message.checks[0]?.remediation).toMatch(/network path/);
  });

  it("when the monitor alert resolves, then it says Telegram is reachable again and lists nothing", () => {
    const resolved: AlertEvent = { ...firing, kind: "resolved", endsAt: firing.at };
    const message = composeMonitorMessage(resolved, info, { repeatIntervalMs: HOUR });
    expect(message).toMatchObject({ summary: "secretary-watch reaches Telegram again", health: "healthy", checks: [], endsAt: firing.at });
  });

  const unreachableBot = (name: string) => status("unknown", [result("token", "unknown"), result("identity", "skipped"), result("webhook", "skipped")], name);
  const healthyBot = (name: string) => status("healthy", [result("token", "ok"), result("identity", "ok"), result("webhook", "ok")], name);
  const neverSwept = (name: string) => status("unknown", [], name);

  for (const [name, statuses, expected] of [
    ["every check of 3 bots is unknown", [unreachableBot("a"), unreachableBot("b"), unreachableBot("c")], true],
    ["only 2 bots were swept, both unreachable", [unreachableBot("a"), unreachableBot("b"), neverSwept("c")], false],
    ["one flaky bot of a small fleet is unknown", [unreachableBot("a"), healthyBot("b"), healthyBot("c")], false],
    ["exactly half of the checks that ran are unknown and half of the bots", [
      status("unknown", [result("token", "ok"), result("webhook", "unknown")], "a"),
      status("unknown", [result("token", "ok"), result("webhook", "unknown")], "b"),
      healthyBot("c"), healthyBot("d"),
    ], false],
    ["3 bots stop at getMe and 1 runs 3 checks ok: 3 of 6 checks, but 3 of 4 bots, are unknown", [
      unreachableBot("a"), unreachableBot("b"), unreachableBot("c"), healthyBot("d"),
    ], true],
    ["4 bots stop at getMe and 1 runs 3 checks ok, so 4 of 7 checks that ran are unknown", [
      unreachableBot("a"), unreachableBot("b"), unreachableBot("c"), unreachableBot("d"), healthyBot("e"),
    ], true],
    ["there are no bots", [], false],
  ] as const) {
    it(`when ${name}, then telegramUnreachable is ${expected}`, () => {
      expect(telegramUnreachable([...statuses])).toBe(expected);
    });
  }
});
