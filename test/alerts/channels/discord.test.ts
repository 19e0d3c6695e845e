/**
 * The discord channel against a local receiver that checks every body against Discord's documented
 * Execute Webhook and embed shape and limits (test/support/vendor-shapes-chat.ts cites the pages).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDiscordChannel, DISCORD_COLOURS } from "../../../src/alerts/channels/discord.ts";
import { parseRetryAfter } from "../../../src/alerts/channels/http-delivery.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../../src/alerts/types.ts";
import { validate } from "../../../src/config/load.ts";
import { configSchema } from "../../../src/config/schema.ts";
import { createLogger } from "../../../src/log.ts";
import { redactSecrets } from "../../../src/redact.ts";
import { startSandbox } from "../../../src/sandbox/server.ts";
import { startService } from "../../../src/service.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { describeOutboxDelivery } from "../../support/chat-outbox.ts";
import { control, fleetBots, healthyWorld } from "../../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";
import { until } from "../../support/service-harness.ts";
import { testStore } from "../../support/test-store.ts";
import { bodyAs, discordEmbedCharacters, discordWebhookMessage, type DiscordWebhookMessage } from "../../support/vendor-shapes-chat.ts";

const SECRET = "dQ9discordWebhookToken_77-abc";
const PAGE = "https://watch.example.com/#bot-anna";

afterEach(closeHttpReceivers);

function channel(base: string): Channel {
  return createDiscordChannel("ops-discord", { type: "discord", url: `${base}/api/webhooks/1234567890/${SECRET}`, minHealth: "degraded", bots: {} }, { timeoutMs: 2_000 });
}

/** Sends `m` to a receiver and returns the one embed it got, the body checked against Discord's shape. */
async function delivered(m: AlertMessage) {
  const hook = await httpReceiver({ status: 204 });
  await channel(hook.url).send(m, AbortSignal.timeout(5_000));
  expect(hook.requests).toHaveLength(1);
  expect(hook.requests[0]!.path).toBe(`/api/webhooks/1234567890/${SECRET}`);
  const body: DiscordWebhookMessage = bodyAs(discordWebhookMessage, hook.requests[0]!.body);
  expect(body.allowed_mentions).toEqual({ parse: [] });
  expect(body.embeds).toHaveLength(1);
  return body.embeds![0]!;
}

describe("discord channel", () => {
  it("when a bot's alert fires, then one red embed: the title links to the page, the facts, a field per check with its fix", async () => {
    const embed = await delivered(
      alertMessage({
        url: PAGE,
        checks: [alertCheck(), alertCheck({ check: "rights", status: "warn", message: "missing can_reply", remediation: "Allow Reply to messages." })],
      }),
    );
    expect(embed.title).toBe("🔴 FIRING: anna (\\@anna\\_secretary\\_bot) is down");
    expect(embed.url).toBe(PAGE);
    expect(embed.color).toBe(0xd93025);
    expect(embed.timestamp).toBe("2026-03-01T10:02:00Z");
    expect(embed.description).toBe(
      [
        "**Bot:** anna (\\@anna\\_secretary\\_bot)",
        "**Health:** down",
        "**Since:** 2026-03-01 10:00 UTC (for 2m)",
        "",
        "**Failing checks (2)**",
        "",
        `[Open the status page](${PAGE})`,
      ].join("\n"),
    );
    expect(embed.fields).toEqual([
      { name: "token (fail)", value: "getMe: 401 Unauthorized\n*Fix:* Issue a new token with \\@BotFather.", inline: false },
      { name: "rights (warn)", value: "missing can\\_reply\n*Fix:* Allow Reply to messages.", inline: false },
    ]);
  });

  it("when the service has no public URL, then neither the title nor the description links anywhere", async () => {
    const embed = await delivered(alertMessage());
    expect(embed.url).toBeUndefined();
    expect(embed.description).not.toContain("](");
  });

  it.each([
    ["degraded", { severity: "degraded" as const, health: "degraded" as const }, DISCORD_COLOURS.degraded, "🟠 FIRING"],
    ["an escalation", { escalatedFrom: "degraded" as const }, DISCORD_COLOURS.down, "🔴 ESCALATED to down"],
    ["a reminder", { kind: "reminder" as const }, DISCORD_COLOURS.down, "🔴 REMINDER"],
    ["a resolution", { kind: "resolved" as const, health: "healthy" as const, checks: [], endsAt: "2026-03-01T10:30:00Z" }, DISCORD_COLOURS.healthy, "✅ RESOLVED"],
    [
      "the monitor's alert",
      { key: "monitor", scope: "monitor" as const, bot: undefined, health: "unknown" as const, checks: [alertCheck({ check: "telegram", status: "unknown" })] },
      DISCORD_COLOURS.monitor,
      "📡 FIRING",
    ],
    ["a test", { key: "test", kind: "test" as const, scope: "monitor" as const, bot: undefined, health: "healthy" as const, checks: [] }, DISCORD_COLOURS.test, "🧪 TEST"],
  ])("when %s is sent, then the embed's colour and title say so", async (_what, overrides, colour, title) => {
    const embed = await delivered(alertMessage({ url: PAGE, ...overrides }));
    expect(embed.color).toBe(colour);
    expect(embed.title!.startsWith(title)).toBe(true);
  });

  it("when the colours are compared, then down, degraded, healthy and the monitor's alert each have their own", () => {
    const { down, degraded, healthy, monitor } = DISCORD_COLOURS;
    expect(new Set([down, degraded, healthy, monitor]).size).toBe(4);
  });

  it("when a resolution or the monitor's alert is sent, then its facts say so", async () => {
    const resolved = await delivered(alertMessage({ kind: "resolved", health: "healthy", checks: [], endsAt: "2026-03-01T10:30:00Z" }));
    expect(resolved.description).toContain("**Health:** healthy (was down)\n**Since:** 2026-03-01 10:00 UTC\n**Resolved:** 2026-03-01 10:30 UTC (after 30m)");
    expect(resolved.description).toContain("All checks pass.");
    const monitor = await delivered(alertMessage({ scope: "monitor", bot: undefined, health: "unknown", checks: [alertCheck({ check: "telegram", status: "unknown" })] }));
    expect(monitor.description).toContain("**Scope:** the monitor (every bot it watches)");
    expect(monitor.description).toContain("**Checks without an answer (1)**");
  });

  it("when names and messages hold @everyone, mentions and markdown, then they are escaped and mentions are never parsed", async () => {
    const embed = await delivered(
      alertMessage({
        summary: "@everyone **anna** is down",
        checks: [alertCheck({ message: "<@123> said `rm` ~~x~~ || spoiler || [link](https://evil.example)" })],
      }),
    );
    expect(embed.title).toBe("🔴 FIRING: \\@everyone \\*\\*anna\\*\\* is down");
    expect(embed.fields![0]!.value).toMatch(/^\\<\\@123\\> said \\`rm\\` \\~\\~x\\~\\~ \\\|\\\| spoiler \\\|\\\| \\\[link\\\]\(https:\/\/evil\.example\)\n/);
  });

  it("when there are more checks than 25 fields or 6000 characters hold, then whole checks fill the embed and the description says how many were left out", async () => {
    const many = Array.from({ length: 40 }, (_, i) => alertCheck({ check: `check-${i}`, message: "m".repeat(400), remediation: "r".repeat(400) }));
    const embed = await delivered(alertMessage({ url: PAGE, checks: many }));
    const shown = embed.fields!.length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(25);
    expect(discordEmbedCharacters(embed)).toBeLessThanOrEqual(6000);
    expect(embed.fields!.map((f) => f.name)).toEqual(many.slice(0, shown).map((c) => `${c.check} (fail)`));
    expect(embed.description).toContain(`… and ${40 - shown} more checks not shown here: see the status page.`);

    const few = Array.from({ length: 30 }, (_, i) => alertCheck({ check: `c${i}` }));
    const capped = await delivered(alertMessage({ checks: few }));
    expect(capped.fields).toHaveLength(25);
    expect(capped.description).toContain("… and 5 more checks not shown here.");
  });

  it("when one check's message is longer than a field holds, then its value is cut to 1024 with a mark", async () => {
    const embed = await delivered(alertMessage({ summary: "s".repeat(400), checks: [alertCheck({ message: "_".repeat(3000), remediation: "*".repeat(3000) })] }));
    expect(embed.title!.length).toBeLessThanOrEqual(256);
    expect(embed.title!.endsWith("…")).toBe(true);
    const value = embed.fields![0]!.value;
    expect(value.length).toBeLessThanOrEqual(1024);
    expect(value).toMatch(/^(\\_)+…\n\*Fix:\* (\\\*)+…$/);
  });

  it("when the webhook refuses with a body that quotes its URL, then the error is permanent and never shows the token", async () => {
    const hook = await httpReceiver({ status: 401, body: `{"message": "Invalid Webhook Token", "url": "/api/webhooks/1234567890/${SECRET}"}` });
    const err = await rejection(channel(hook.url).send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain('discord channel "ops-discord": HTTP 401');
    expect(err.message).not.toContain(SECRET);
    expect(redactSecrets(`posting to ${hook.url}/api/webhooks/1234567890/${SECRET}`)).not.toContain(SECRET);
  });

  it("when the URL ends in a short segment (Discord's /github endpoint), then only the token is a secret, not that word", () => {
    createDiscordChannel("gh", { type: "discord", url: "https://discord.example/api/webhooks/42/Gh7otherWebhookToken_88/github", minHealth: "degraded", bots: {} }, { timeoutMs: 1_000 });
    expect(redactSecrets("token Gh7otherWebhookToken_88 via github")).toBe("token **** via github");
  });

  it("when Retry-After is fractional seconds, then it is read to the millisecond", () => {
    expect(parseRetryAfter("1.5")).toBe(1_500);
    expect(parseRetryAfter("0.0014")).toBe(2);
    expect(parseRetryAfter("2")).toBe(2_000);
  });
});

describeOutboxDelivery("discord", {
  channel,
  retryAfter: { header: () => "1.5", atLeastMs: 1_500, describe: "1.5 (fractional seconds)" },
});

describe("the service with a discord channel", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("when a bot's token is revoked and then works again, then Discord gets a red firing embed naming the token check, then a green resolution", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(1) });
    cleanup.push(() => sandbox.close());
    const hook = await httpReceiver({ status: 204 });
    await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const parsed = validate(configSchema, {
      telegram: { apiRoot: sandbox.url, timeout: "300ms" },
      server: { publicUrl: "https://watch.example.com" },
      schedule: { interval: "1s" },
      store: await testStore(mkdtempSync(join(tmpdir(), "secretary-watch-discord-"))),
      bots: fleetBots(1),
      alerts: { failAfter: 1, recoverAfter: 1, channels: { "ops-discord": { type: "discord", url: `${hook.url}/api/webhooks/1/${SECRET}` } } },
    });
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.text).join("\n"));
    const service = await startService({ config: parsed.value, logger: createLogger({ level: "silent" }), port: 0, storeFlushMs: 50 });
    cleanup.push(() => service.stop());

    const embeds = () => hook.requests.map((r) => bodyAs(discordWebhookMessage, r.body).embeds![0]!);
    const [firing] = await until("the firing embed", () => (hook.requests.length >= 1 ? embeds() : undefined), 10_000);
    expect(firing!.title).toMatch(/^🔴 FIRING: bot-0 /);
    expect(firing!.color).toBe(DISCORD_COLOURS.down);
    expect(firing!.url).toBe("https://watch.example.com/#bot-bot-0");
    expect(firing!.fields!.map((f) => f.name)).toContain("token (fail)");

    await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: false });
    const resolved = await until("the resolution", () => embeds().find((e) => e.title!.startsWith("✅ RESOLVED")), 10_000);
    expect(resolved.color).toBe(DISCORD_COLOURS.healthy);
    expect(resolved.description).toContain("**Health:** healthy (was down)");
  });
});
