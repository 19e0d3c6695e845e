/** The alertmanager channel against a local HTTP server that records what it receives. */
import { afterEach, describe, expect, it } from "vitest";
import { createAlertmanagerChannel, sanitizeLabelName } from "../../../src/alerts/channels/alertmanager.ts";
import type { AlertmanagerAlert } from "../../../src/alerts/channels/alertmanager.ts";
import { ChannelError } from "../../../src/alerts/types.ts";
import type { AlertMessage, Channel } from "../../../src/alerts/types.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { closeHttpReceivers, httpReceiver } from "../../support/http-receiver.ts";
import type { ReceivedRequest, ReceiverAnswer } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";

const message = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({
    bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip", "team.name": "creators", "9lives": "yes" } },
    since: "2026-03-01T10:00:00.000Z",
    at: "2026-03-01T10:02:00.000Z",
    activeUntil: "2026-03-01T18:02:00.000Z",
    checks: [
      alertCheck(),
      alertCheck({ check: "rights", status: "warn", message: "missing can_reply", remediation: "Allow the bot to reply in Business settings." }),
    ],
    url: "https://watch.example.com/bots/anna",
    ...overrides,
  });

afterEach(closeHttpReceivers);

/** Alertmanager answers JSON. */
const receiver = (answer: ReceiverAnswer = { status: 200 }) =>
  httpReceiver({ ...answer, headers: { "content-type": "application/json", ...answer.headers } });

function channel(url: string): Channel {
  return createAlertmanagerChannel("alertmanager", { type: "alertmanager", url, minHealth: "degraded", bots: {} }, { timeoutMs: 2_000 });
}

const alertsOf = (r: ReceivedRequest) => JSON.parse(r.body.toString("utf8")) as AlertmanagerAlert[];

describe("alertmanager channel", () => {
  it("when a bot alert fires, then one alert is POSTed to /api/v2/alerts with stable labels and endsAt = activeUntil", async () => {
    const am = await receiver();
    await channel(am.url).send(message(), AbortSignal.timeout(5_000));

    expect(am.requests).toHaveLength(1);
    const req = am.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/api/v2/alerts");
    expect(req.headers["content-type"]).toBe("application/json");
    const alerts = alertsOf(req);
    expect(alerts).toEqual([
      {
        labels: {
          alertname: "SecretaryBotUnhealthy",
          severity: "down",
          bot: "anna",
          username: "anna_secretary_bot",
          _9lives: "yes",
          team_name: "creators",
          tier: "vip",
        },
        annotations: {
          summary: "anna (@anna_secretary_bot) is down",
          description:
            "token (fail): getMe: 401 Unauthorized\nFix: Issue a new token with @BotFather.\n" +
            "rights (warn): missing can_reply\nFix: Allow the bot to reply in Business settings.",
          remediation: "Issue a new token with @BotFather.\nAllow the bot to reply in Business settings.",
        },
        startsAt: "2026-03-01T10:00:00.000Z",
        endsAt: "2026-03-01T18:02:00.000Z",
        generatorURL: "https://watch.example.com/bots/anna",
      },
    ]);
  });

  it("when the same alert is sent twice (two replicas, or a reminder), then the labels are identical", async () => {
    const am = await receiver();
    const c = channel(am.url);
    await c.send(message(), AbortSignal.timeout(5_000));
    await c.send(message({ kind: "reminder", at: "2026-03-01T14:02:00.000Z", activeUntil: "2026-03-01T22:02:00.000Z" }), AbortSignal.timeout(5_000));
    const [first, second] = am.requests.map(alertsOf);
    expect(second![0]!.labels).toEqual(first![0]!.labels);
    expect(second![0]!.endsAt).toBe("2026-03-01T22:02:00.000Z");
  });

  it("when the alert resolves, then endsAt is the resolution time", async () => {
    const am = await receiver();
    await channel(am.url).send(
      message({ kind: "resolved", health: "healthy", endsAt: "2026-03-01T11:00:00.000Z", checks: [], url: undefined }),
      AbortSignal.timeout(5_000),
    );
    const [alert] = alertsOf(am.requests[0]!);
    expect(alert!.labels.severity).toBe("down");
    expect(alert!.endsAt).toBe("2026-03-01T11:00:00.000Z");
    expect(alert!.startsAt).toBe("2026-03-01T10:00:00.000Z");
    expect(alert!).not.toHaveProperty("generatorURL");
  });

  it("when the alert escalates from degraded to down, then the down alert fires and the degraded one ends now", async () => {
    const am = await receiver();
    await channel(am.url).send(message({ escalatedFrom: "degraded" }), AbortSignal.timeout(5_000));
    const alerts = alertsOf(am.requests[0]!);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]!.labels.severity).toBe("down");
    expect(alerts[0]!.endsAt).toBe("2026-03-01T18:02:00.000Z");
    expect(alerts[1]!.labels).toEqual({ ...alerts[0]!.labels, severity: "degraded" });
    expect(alerts[1]!.endsAt).toBe("2026-03-01T10:02:00.000Z");
  });

  it("when the monitor cannot reach Telegram, then the alert is SecretaryMonitorCannotReachTelegram without bot labels", async () => {
    const am = await receiver();
    const { bot: _bot, ...rest } = message();
    await channel(am.url).send(
      { ...rest, key: "monitor", scope: "monitor", health: "unknown", summary: "secretary-watch cannot reach Telegram" },
      AbortSignal.timeout(5_000),
    );
    const [alert] = alertsOf(am.requests[0]!);
    expect(alert!.labels).toEqual({ alertname: "SecretaryMonitorCannotReachTelegram", severity: "down" });
  });

  it("when a bot label would replace alertname, then ours wins", async () => {
    const am = await receiver();
    await channel(am.url).send(message({ bot: { name: "anna", username: "anna_bot", labels: { alertname: "x", severity: "info", "": "y", empty: "" } } }), AbortSignal.timeout(5_000));
    const [alert] = alertsOf(am.requests[0]!);
    expect(alert!.labels).toEqual({ alertname: "SecretaryBotUnhealthy", severity: "down", bot: "anna", username: "anna_bot" });
  });

  it("when the URL carries credentials, then they go in a Basic Authorization header", async () => {
    const am = await receiver();
    const url = am.url.replace("http://", "http://am:s3cr3t-pass@");
    await channel(url).send(message(), AbortSignal.timeout(5_000));
    expect(am.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("am:s3cr3t-pass").toString("base64")}`);
  });

  it("when Alertmanager answers 400, then a permanent ChannelError with its reason", async () => {
    const am = await receiver({ status: 400, body: '"invalid label set"' });
    const err = await rejection(channel(am.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("HTTP 400");
    expect(err.message).toContain("invalid label set");
  });

  it("when Alertmanager answers 503, then a retryable ChannelError", async () => {
    const am = await receiver({ status: 503 });
    const err = await rejection(channel(am.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
  });

  it("when Alertmanager answers 429 with Retry-After, then a retryable ChannelError that honours it", async () => {
    const am = await receiver({ status: 429, headers: { "retry-after": "3" } });
    const err = await rejection(channel(am.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.retryAfterMs).toBe(3000);
  });

  it("when label names are not valid Prometheus names, then they are sanitized", () => {
    expect(sanitizeLabelName("team.name")).toBe("team_name");
    expect(sanitizeLabelName("9lives")).toBe("_9lives");
    expect(sanitizeLabelName("__meta")).toBe("_meta");
    expect(sanitizeLabelName("ok_Name1")).toBe("ok_Name1");
  });
});
