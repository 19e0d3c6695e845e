/**
 * How each channel type carries a report (README, "Reports"): e-mail through a real SMTP server on
 * loopback; the chat channels' payloads checked against the vendors' documented shapes and limits for a
 * bad week (hundreds of incidents, hostile names); ntfy's body within its limit.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { discordPayload } from "../../src/alerts/channels/discord.ts";
import { createEmailChannel } from "../../src/alerts/channels/email.ts";
import { msteamsPayload, payloadBytes, TEAMS_MAX_BYTES } from "../../src/alerts/channels/msteams.ts";
import { NTFY_MAX_MESSAGE_BYTES, ntfyBody, ntfyHeaders } from "../../src/alerts/channels/ntfy.ts";
import { slackPayload } from "../../src/alerts/channels/slack.ts";
import type { ReportDigest } from "../../src/reports/digest.ts";
import { reportMessage } from "../../src/reports/report-message.ts";
import { discordWebhookMessage, slackMessage, teamsWebhookMessage } from "../support/vendor-shapes-chat.ts";

const T = Date.parse("2026-11-30T09:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** A week with `n` incidents, each of a bot whose name and check message try to format, mention and link. */
function badWeek(n: number): ReportDigest {
  const incidents = Array.from({ length: n }, (_, i) => ({
    bot: `bot-${i}`,
    start: iso(T - 6 * 86_400_000 + i * 60_000),
    end: i % 3 === 0 ? null : iso(T - 6 * 86_400_000 + i * 60_000 + 30_000),
    durationMs: 30_000,
    worst: i % 2 === 0 ? ("down" as const) : ("degraded" as const),
    checks: [{ check: "webhook", status: "fail", message: `<!channel> @everyone *bold* [link](https://evil.example) ${"x".repeat(300)}` }],
    silenced: false,
  }));
  return {
    name: "weekly",
    from: iso(T - 7 * 86_400_000),
    to: iso(T),
    window: "7d",
    fleet: { up: 0.9731, healthy: 0.95, known: 0.999, bots: 120 },
    worst: [{ bot: "bot-0", up: 0.5, healthy: 0.4, known: 1 }],
    incidents,
    incidentsCut: false,
    failing: [{ bot: "bot-0", health: "down", since: iso(T - 3_600_000), checks: ["webhook"] }],
    notifications: [{ channel: "hook", failed: 3, dropped: 1, lastError: "webhook channel \"hook\": 503" }],
  };
}

describe("a report in each channel's format", () => {
  const servers: SMTPServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it("when it goes by e-mail, then one mail with the [REPORT] subject and text and HTML parts reaches the SMTP server", async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          received.push(Buffer.concat(chunks).toString("utf8"));
          callback();
        });
      },
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.server.address() as AddressInfo;
    const channel = createEmailChannel("ops-mail", { type: "email", url: `smtp://127.0.0.1:${port}`, from: "watch@example.com", to: ["ops@example.com"], minHealth: "degraded", bots: {} });
    try {
      await channel.send(reportMessage(badWeek(3)), AbortSignal.timeout(10_000));
    } finally {
      await channel.close?.();
    }
    expect(received).toHaveLength(1);
    // Long headers are folded onto continuation lines (RFC 5322): unfolded, as a mail client reads them.
    const mail = received[0]!.replace(/\r?\n[ \t]+/g, " ");
    expect(mail).toMatch(/^Subject: \[REPORT\] weekly report, last 7d: 97\.31% up, 3 incidents, 1 bot still failing/m);
    expect(mail).toContain("Content-Type: text/plain");
    expect(mail).toContain("Content-Type: text/html");
    expect(mail).toContain("X-Secretary-Alert: report/weekly; kind=report");
  });

  it("when it goes to Slack, Discord or Teams, then each payload has the vendor's shape within its limits and says how many items it left out", () => {
    const message = reportMessage(badWeek(400));
    const slack = slackMessage.parse(slackPayload(message));
    expect(JSON.stringify(slack)).toContain("more checks not shown here");
    expect(JSON.stringify(slack)).not.toContain("<!channel>");
    const discord = discordWebhookMessage.parse(discordPayload(message));
    expect(discord.embeds![0]!.title).toContain("REPORT");
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    const teams = teamsWebhookMessage.parse(msteamsPayload(message));
    expect(payloadBytes(teams)).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
  });

  it("when it goes to ntfy, then the body is the compact digest within ntfy's limit, at the default priority with a chart tag", async () => {
    const message = reportMessage(badWeek(400));
    const body = ntfyBody(message);
    expect(Buffer.byteLength(body, "utf8")).toBeLessThanOrEqual(NTFY_MAX_MESSAGE_BYTES);
    expect(body).toMatch(/^Period: /);
    expect(await ntfyHeaders(message)).toMatchObject({ priority: "3", tags: "bar_chart,monitor" });
  });
});
