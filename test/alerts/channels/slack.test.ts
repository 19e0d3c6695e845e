/**
 * The slack channel against a local receiver that checks every body against Slack's documented Block Kit
 * shape (test/support/vendor-shapes-chat.ts cites the pages), and through the outbox and the CLI.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSlackChannel, SLACK_MAX_BLOCKS } from "../../../src/alerts/channels/slack.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../../src/alerts/types.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { describeOutboxDelivery } from "../../support/chat-outbox.ts";
import { cli } from "../../support/cli.ts";
import { closeHttpReceivers, httpReceiver } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";
import { bodyAs, slackMessage, type SlackMessage } from "../../support/vendor-shapes-chat.ts";

const SECRET = "Xq7slackSecretToken42";
const PAGE = "https://watch.example.com/#bot-anna";

afterEach(closeHttpReceivers);

function channel(base: string): Channel {
  return createSlackChannel("ops-slack", { type: "slack", url: `${base}/services/T000/B000/${SECRET}`, minHealth: "degraded", bots: {} }, { timeoutMs: 2_000 });
}

/** Sends `m` to a receiver and returns the body it got, checked against Slack's shape. */
async function delivered(m: AlertMessage): Promise<SlackMessage> {
  const hook = await httpReceiver({ status: 200, body: "ok" });
  await channel(hook.url).send(m, AbortSignal.timeout(5_000));
  expect(hook.requests).toHaveLength(1);
  expect(hook.requests[0]!.path).toBe(`/services/T000/B000/${SECRET}`);
  expect(hook.requests[0]!.headers["content-type"]).toBe("application/json");
  return bodyAs(slackMessage, hook.requests[0]!.body);
}

/** Every text of the message's blocks in order (a button's URL for its block), to look lines up in. */
function texts(body: SlackMessage): string[] {
  return body.blocks.flatMap((b): string[] => {
    switch (b.type) {
      case "header":
        return [b.text.text];
      case "section":
        return [...(b.text ? [b.text.text] : []), ...(b.fields ?? []).map((f) => f.text)];
      case "context":
        return b.elements.map((e) => e.text);
      case "actions":
        return b.elements.map((e) => e.url ?? "");
      case "divider":
        return [];
    }
  });
}
const header = (body: SlackMessage): string => (body.blocks[0]!.type === "header" ? body.blocks[0]!.text.text : "");
const buttons = (body: SlackMessage) => body.blocks.flatMap((b) => (b.type === "actions" ? b.elements : []));

describe("slack channel", () => {
  it("when a bot's alert fires, then a header with the health, the facts, a section per check with its fix, a button to the page and a fallback text", async () => {
    const m = alertMessage({
      url: PAGE,
      checks: [alertCheck(), alertCheck({ check: "rights", status: "warn", message: "missing can_reply", remediation: "Allow Reply to messages." })],
    });
    const body = await delivered(m);
    expect(header(body)).toBe("🔴 FIRING: anna (@anna_secretary_bot) is down");
    expect(body.text).toBe("[FIRING] anna (@anna_secretary_bot) is down");
    expect(texts(body)).toEqual(
      expect.arrayContaining([
        "*Bot*\nanna (@anna_secretary_bot)",
        "*Health*\ndown",
        "*Since*\n2026-03-01 10:00 UTC (for 2m)",
        "*Failing checks (2)*",
        "*token* (fail): getMe: 401 Unauthorized\n_Fix:_ Issue a new token with @BotFather.",
        "*rights* (warn): missing can_reply\n_Fix:_ Allow Reply to messages.",
      ]),
    );
    expect(buttons(body)).toEqual([{ type: "button", text: { type: "plain_text", text: "Open the status page" }, url: PAGE, action_id: "open-status-page" }]);
    expect(body.blocks.at(-1)!.type).toBe("actions");
  });

  it("when the service has no public URL, then there is no button", async () => {
    const body = await delivered(alertMessage());
    expect(buttons(body)).toEqual([]);
    expect(body.blocks.map((b) => b.type)).not.toContain("actions");
  });

  it.each([
    ["an escalation", { escalatedFrom: "degraded" as const, summary: "anna (@anna_secretary_bot) is down (was degraded)" }, "🔴 ESCALATED to down: anna (@anna_secretary_bot) is down (was degraded)", "*Health*\ndown (escalated from degraded)"],
    ["a reminder", { kind: "reminder" as const, summary: "anna (@anna_secretary_bot) is still down" }, "🔴 REMINDER: anna (@anna_secretary_bot) is still down", "*Failing checks (1)*"],
    [
      "a degraded alert",
      { severity: "degraded" as const, health: "degraded" as const, summary: "anna (@anna_secretary_bot) is degraded" },
      "🟠 FIRING: anna (@anna_secretary_bot) is degraded",
      "*Health*\ndegraded",
    ],
    [
      "a resolution",
      { kind: "resolved" as const, health: "healthy" as const, endsAt: "2026-03-01T10:30:00Z", checks: [], summary: "anna (@anna_secretary_bot) is healthy again (was down)" },
      "✅ RESOLVED: anna (@anna_secretary_bot) is healthy again (was down)",
      "*Resolved*\n2026-03-01 10:30 UTC (after 30m)",
    ],
    [
      "the monitor's alert",
      {
        key: "monitor",
        scope: "monitor" as const,
        bot: undefined,
        health: "unknown" as const,
        summary: "secretary-watch cannot reach Telegram: 5 of 5 bots unknown",
        checks: [alertCheck({ check: "telegram", status: "unknown", message: "getMe: ETIMEDOUT", remediation: "Check the monitor host's network path." })],
      },
      "📡 FIRING: secretary-watch cannot reach Telegram: 5 of 5 bots unknown",
      "*Checks without an answer (1)*",
    ],
  ])("when %s is sent, then it renders in Slack's shape and says so", async (_what, overrides, title, line) => {
    const body = await delivered(alertMessage({ url: PAGE, ...overrides }));
    expect(header(body)).toBe(title);
    expect(texts(body)).toContain(line);
  });

  it("when a resolution has no check left, then it says every check passes", async () => {
    const body = await delivered(alertMessage({ kind: "resolved", health: "healthy", checks: [], summary: "anna is healthy again (was down)" }));
    expect(texts(body)).toContain("All checks pass.");
    expect(texts(body).some((t) => t.includes("Failing checks"))).toBe(false);
  });

  it("when names and messages hold &, < and >, then Slack gets them as entities and no <!channel> or link is formed", async () => {
    const body = await delivered(
      alertMessage({
        bot: { name: "a&b", username: "ab_bot", labels: { team: "<!here>" } },
        summary: "<!channel> a&b is down",
        checks: [alertCheck({ message: "webhook says <https://evil.example|click> & <@U123>", remediation: "Fix <b>it</b>" })],
      }),
    );
    expect(body.text).toBe("[FIRING] &lt;!channel&gt; a&amp;b is down");
    const mrkdwnObjects = body.blocks.flatMap((b) => (b.type === "section" ? [...(b.text ? [b.text] : []), ...(b.fields ?? [])] : b.type === "context" ? b.elements : []));
    expect(mrkdwnObjects.length).toBeGreaterThan(3);
    // verbatim: a bare @here or #general in a message is not turned into a mention or a link.
    for (const t of mrkdwnObjects) expect(t).toMatchObject({ type: "mrkdwn", verbatim: true });
    expect(texts(body)).toEqual(
      expect.arrayContaining([
        "*Labels*\nteam=&lt;!here&gt;",
        "*token* (fail): webhook says &lt;https://evil.example|click&gt; &amp; &lt;@U123&gt;\n_Fix:_ Fix &lt;b&gt;it&lt;/b&gt;",
      ]),
    );
  });

  it("when there are more checks than 50 blocks hold, then whole checks fill the message and a note says how many were left out", async () => {
    const checks = Array.from({ length: 60 }, (_, i) => alertCheck({ check: `check-${i}` }));
    const body = await delivered(alertMessage({ url: PAGE, checks }));
    expect(body.blocks).toHaveLength(SLACK_MAX_BLOCKS);
    const shown = texts(body).filter((t) => /^\*check-\d+\* /.test(t));
    const note = body.blocks.at(-2)!;
    expect(note.type).toBe("context");
    expect(texts({ ...body, blocks: [note] })).toEqual([`… and ${60 - shown.length} more checks not shown here: see the status page.`]);
    expect(shown[0]).toMatch(/^\*check-0\* /);
    expect(body.blocks.at(-1)!.type).toBe("actions");
  });

  it("when texts run past Block Kit's limits, then the header stays within 150 and each section within 3000, cut between entities", async () => {
    const body = await delivered(
      alertMessage({
        summary: "anna " + "&".repeat(400),
        checks: [alertCheck({ message: "<".repeat(5000), remediation: "x".repeat(5000) })],
      }),
    );
    expect([...header(body)].length).toBeLessThanOrEqual(150);
    const section = texts(body).find((t) => t.startsWith("*token*"))!;
    expect(section.length).toBeLessThanOrEqual(3000);
    expect(section).toMatch(/^\*token\* \(fail\): (&lt;)+…\n_Fix:_ x+…$/);
  });

  it("when the webhook refuses with a body that quotes its URL, then the error is permanent and never shows the token", async () => {
    const hook = await httpReceiver({ status: 404, body: `no_service: /services/T000/B000/${SECRET}` });
    const err = await rejection(channel(hook.url).send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain('slack channel "ops-slack": HTTP 404');
    expect(err.message).not.toContain(SECRET);
  });

  /** A config file with these channels (YAML lines under alerts.channels) and a public URL. */
  function configFile(channels: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), "slack-cli-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, ['server: { publicUrl: "https://watch.example.com" }', "alerts:", "  channels:", ...channels.map((c) => `    ${c}`), "bots: []"].join("\n"));
    return file;
  }

  it("when `alerts test --channel` names a slack channel, then it posts a test card in Slack's shape and prints sent", async () => {
    const hook = await httpReceiver({ status: 200, body: "ok" });
    const config = configFile([`ops-slack: { type: slack, url: "${hook.url}/services/T000/B000/${SECRET}" }`, `other: { type: webhook, url: "${hook.url}/other" }`]);
    const r = await cli(["alerts", "test", "--config", config, "--channel", "ops-slack"], {});
    expect(r.stdout).toBe("sent    ops-slack (slack)\n");
    expect(r.code).toBe(0);
    expect(hook.requests).toHaveLength(1);
    const body = bodyAs(slackMessage, hook.requests[0]!.body);
    expect(header(body)).toBe("🧪 TEST: secretary-watch test notification: this channel works");
    expect(texts(body)).toContain("A test notification from secretary-watch: this channel works. No action needed.");
    expect(buttons(body).map((b) => b.url)).toEqual(["https://watch.example.com/"]);
  });

  it("when `config check` prints the effective config, then each chat webhook URL shows only its origin", async () => {
    const urls = {
      slack: `https://hooks.slack.example/services/T000/B000/${SECRET}`,
      discord: "https://discord.example/api/webhooks/123/dQ9discordWebhookToken_77-abc",
      msteams: "https://prod-00.logic.example:443/workflows/8d2f/triggers/manual/paths/invoke?api-version=2016-06-01&sig=Tm5teamsSignature_0123",
    };
    const config = configFile(Object.entries(urls).map(([type, url]) => `${type}-channel: { type: ${type}, url: "${url}" }`));
    const r = await cli(["config", "check", "--config", config], {});
    expect(r.code).toBe(0);
    const channels = (JSON.parse(r.stdout) as { alerts: { channels: Record<string, { url: string }> } }).alerts.channels;
    expect(Object.values(channels).map((c) => c.url)).toEqual(["https://hooks.slack.example/****", "https://discord.example/****", "https://prod-00.logic.example/****"]);
    for (const secret of [SECRET, "dQ9discordWebhookToken", "Tm5teamsSignature"]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("when a chat webhook URL is mistyped, then the problem names its key and not the value (it holds the token)", async () => {
    const config = configFile([`ops-slack: { type: slack, url: "hooks.slack.example/services/T000/B000/${SECRET}" }`]);
    const r = await cli(["config", "check", "--config", config], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("alerts.channels.ops-slack.url: expected an http(s) URL such as https://hooks.slack.com/services/T000/B000/XXXX (the value is not shown)");
    expect(r.stderr).not.toContain(SECRET);
  });
});

describeOutboxDelivery("slack", {
  channel,
  retryAfter: { header: () => "2", atLeastMs: 2_000, describe: "2 (seconds)" },
});
