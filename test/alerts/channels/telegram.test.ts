/** The telegram channel against the sandbox Bot API over loopback. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramChannel } from "../../../src/alerts/channels/telegram.ts";
import type { TelegramChannelConfig } from "../../../src/alerts/channels/telegram.ts";
import { ChannelError } from "../../../src/alerts/types.ts";
import type { Channel } from "../../../src/alerts/types.ts";
import { parseHtml } from "../../../src/sandbox/telegram-html.ts";
import { startSandbox } from "../../../src/sandbox/server.ts";
import type { Sandbox } from "../../../src/sandbox/server.ts";
import { parseWorld } from "../../../src/sandbox/world.ts";
import type { SentMessage } from "../../../src/sandbox/world.ts";
import { alertMessage } from "../../support/alert-fixtures.ts";
import { freePort } from "../../support/loopback-daemon.ts";
import { rejection } from "../../support/rejection.ts";

const ALERT_TOKEN = "7000099:alerts-Kd7q2xyz";
const REVOKED_TOKEN = "7000098:revoked-Qw3rty99";
const CHAT = -1001234567890;

function config(overrides: Partial<TelegramChannelConfig> = {}): TelegramChannelConfig {
  return { type: "telegram", botToken: ALERT_TOKEN, chatId: CHAT, threadId: 0, minHealth: "degraded", bots: {}, ...overrides };
}

let sandbox: Sandbox;
const channels: Channel[] = [];

function channel(overrides: Partial<TelegramChannelConfig> = {}, apiRoot?: string): Channel {
  const c = createTelegramChannel("ops-telegram", config(overrides), { telegramApiRoot: apiRoot ?? sandbox.url, telegramEnvironment: "prod", timeoutMs: 2_000 });
  channels.push(c);
  return c;
}

async function sent(): Promise<SentMessage[]> {
  const res = await fetch(`${sandbox.url}/_sandbox/messages`);
  return (await res.json()) as SentMessage[];
}

beforeAll(async () => {
  sandbox = await startSandbox({
    world: parseWorld({
      bots: [
        { token: ALERT_TOKEN, username: "alerts_bot", firstName: "Alerts", canConnectToBusiness: false },
        { token: REVOKED_TOKEN, username: "revoked_alerts_bot", firstName: "Revoked", revoked: true },
      ],
    }),
  });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.world.reset());
afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close?.()));
});

describe("telegram channel", () => {
  it("when names and messages contain <, > and &, then the sandbox accepts the HTML and the raw text has them escaped", async () => {
    const m = alertMessage({
      bot: { name: "<b>a&b</b>", username: "a_b_bot", labels: {} },
      summary: "<b>a&b</b> (@a_b_bot) is down",
      checks: [
        { check: "token", status: "fail", message: "x < y && z > w", remediation: "Run <code>/revoke</code> & retry", since: "2026-03-01T10:00:00Z" },
      ],
      url: "https://watch.example.com/?bot=a&x=<1>",
    });
    await channel().send(m, AbortSignal.timeout(5_000));

    const [msg] = await sent();
    expect(msg).toBeDefined();
    expect(msg!.bot).toBe("alerts_bot");
    expect(msg!.chatId).toBe(CHAT);
    expect(msg!.parseMode).toBe("HTML");
    expect(msg!.text).toContain("&lt;b&gt;a&amp;b&lt;/b&gt;");
    expect(msg!.text).toContain("x &lt; y &amp;&amp; z &gt; w");
    expect(msg!.text).toContain("Run &lt;code&gt;/revoke&lt;/code&gt; &amp; retry");
    expect(msg!.text).toContain('<a href="https://watch.example.com/?bot=a&amp;x=&lt;1&gt;">');
    expect(msg!.renderedText).toContain("<b>a&b</b> (@a_b_bot)");
    expect(msg!.renderedText).toContain("x < y && z > w");
    expect(msg!.renderedText).toContain("FIRING");
    expect(msg!.messageThreadId).toBeNull();
  });

  it("when threadId is set, then the message goes to that forum topic", async () => {
    await channel({ threadId: 42 }).send(alertMessage(), AbortSignal.timeout(5_000));
    const [msg] = await sent();
    expect(msg!.messageThreadId).toBe(42);
  });

  it("when the channel sets its own apiRoot, then it is used instead of telegram.apiRoot", async () => {
    await channel({ apiRoot: sandbox.url }, "http://127.0.0.1:9").send(alertMessage(), AbortSignal.timeout(5_000));
    expect(await sent()).toHaveLength(1);
  });

  it("when Telegram answers 429 with retry_after 7, then a retryable ChannelError with retryAfterMs 7000", async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 429, retryAfter: 7 }),
    });
    expect(res.status).toBe(201);

    const err = await rejection(channel().send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.retryAfterMs).toBe(7000);
    expect(err.permanent).toBe(false);
  });

  it("when the alert bot's token is revoked, then a permanent ChannelError without the token", async () => {
    const err = await rejection(channel({ botToken: REVOKED_TOKEN }).send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("401");
    expect(err.message).not.toContain(REVOKED_TOKEN);
    expect(err.message).not.toContain("Qw3rty99");
  });

  it("when the proxy answers 502, then a retryable ChannelError", async () => {
    sandbox.world.addFault({ status: 502 });
    const err = await rejection(channel().send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("502");
  });

  it("when the Bot API cannot be reached, then a retryable ChannelError without the token", async () => {
    const port = await freePort(); // nothing listens on it
    const err = await rejection(channel({}, `http://127.0.0.1:${port}`).send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("network");
    expect(err.message).not.toContain(ALERT_TOKEN);
  });

  it("when the Bot API does not answer before the timeout, then a retryable ChannelError", async () => {
    sandbox.world.addFault({ hang: true });
    const c = createTelegramChannel("slow", config(), { telegramApiRoot: sandbox.url, telegramEnvironment: "prod", timeoutMs: 200 });
    channels.push(c);
    const err = await rejection(c.send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("200 ms");
  });

  it("when the text is longer than 4096 characters, then it is cut between lines and Telegram accepts it", async () => {
    const checks = Array.from({ length: 60 }, (_, i) => ({
      check: `check-${i}`,
      status: "fail" as const,
      message: `observed <${i}> & more: ${"x".repeat(80)}`,
      remediation: `do <this> & that ${"y".repeat(40)}`,
      since: "2026-03-01T10:00:00Z",
    }));
    await channel().send(alertMessage({ checks }), AbortSignal.timeout(5_000));
    const [msg] = await sent();
    expect(msg!.text.length).toBeLessThanOrEqual(4096);
    expect(msg!.text.length).toBeGreaterThan(3000);
    expect(msg!.text.endsWith("\n… (truncated)")).toBe(true);
    expect(msg!.renderedText).toContain("observed <0> & more");
    expect(parseHtml(msg!.text)).not.toHaveProperty("error");
  });

  it("when one value alone is longer than 4096 characters, then it is cut outside entities and tags close", async () => {
    // The check name is bold: the cut lands inside <b>, which must be closed.
    const checks = [{ check: "<&>".repeat(3000), status: "fail" as const, message: "m", remediation: "", since: "2026-03-01T10:00:00Z" }];
    await channel().send(alertMessage({ checks }), AbortSignal.timeout(5_000));
    const [msg] = await sent();
    expect(msg!.text.length).toBeLessThanOrEqual(4096);
    expect(msg!.text.length).toBeGreaterThan(4000);
    expect(msg!.text).toMatch(/(&lt;|&amp;|&gt;)<\/b>\n… \(truncated\)$/);
    expect(msg!.renderedText).toMatch(/^🔴 FIRING/);
  });

  it("when the routing says minHealth down, then a degraded notification is not accepted", () => {
    const c = channel({ minHealth: "down" });
    expect(c.accepts(alertMessage({ severity: "degraded", health: "degraded" }))).toBe(false);
    expect(c.accepts(alertMessage())).toBe(true);
  });
});
