/**
 * The ntfy channel against a local receiver that reads each request as ntfy does (headers decoded from
 * RFC 2047, the body as the message) and checks it against the publishing shape of
 * https://docs.ntfy.sh/publish/ (test/support/vendor-shapes-paging.ts), and through the outbox (429, 400).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createNtfyChannel, NTFY_MAX_MESSAGE_BYTES, NTFY_TRUNCATED, type NtfyChannelConfig } from "../../../src/alerts/channels/ntfy.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../../src/alerts/types.ts";
import { testChannels } from "../../../src/cli/alerts-test-command.ts";
import { parseConfig, type ConfigError } from "../../../src/config/load.ts";
import { maskConfig } from "../../../src/config/secrets.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { refusedDelivery, throttledDelivery } from "../../support/channel-outbox.ts";
import { closeHttpReceivers, httpReceiver, type ReceiverAnswer } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";
import { decodeRfc2047, ntfyPublicationOf } from "../../support/vendor-shapes-paging.ts";

const TOKEN = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";
const PAGE = "https://watch.example.com/#bot-anna";
/** What ntfy answers a publication: the message it stored, as JSON. */
const NTFY_OK: ReceiverAnswer = { status: 200, headers: { "content-type": "application/json" }, body: '{"id":"x1","event":"message","topic":"ops-secretary"}' };

const message = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({
    bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip" } },
    summary: "anna (@anna_secretary_bot) is down — «Zoë» ✓",
    url: PAGE,
    ...overrides,
  });

afterEach(closeHttpReceivers);

function channel(url: string, token = ""): Channel {
  const config: NtfyChannelConfig = { type: "ntfy", url: `${url}/ops-secretary`, token, minHealth: "degraded", bots: {} };
  return createNtfyChannel("ntfy", config, { timeoutMs: 2_000 });
}

describe("ntfy channel", () => {
  it("when a bot goes down, then the topic gets the message as plain text, an urgent priority, a title in RFC 2047 and a click to the page", async () => {
    const ntfy = await httpReceiver(NTFY_OK);
    await channel(ntfy.url).send(message(), AbortSignal.timeout(5_000));
    expect(ntfy.requests).toHaveLength(1);
    const req = ntfy.requests[0]!;
    expect(req.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(String(req.headers.title)).toMatch(/=\?UTF-8\?B\?/);
    const published = ntfyPublicationOf(req);
    expect(published).toEqual({
      topic: "ops-secretary",
      title: "[FIRING] anna (@anna_secretary_bot) is down — «Zoë» ✓",
      priority: "5",
      tags: ["rotating_light", "anna"],
      click: PAGE,
      message: expect.stringContaining("• token (fail): getMe: 401 Unauthorized\n   Fix: Issue a new token with @BotFather."),
    });
    expect(published.message.startsWith("Bot: anna (@anna_secretary_bot)\n")).toBe(true);
  });

  it("when an alert is degraded, escalated, reminded and resolved, then each goes out with its priority and tag", async () => {
    const ntfy = await httpReceiver(NTFY_OK);
    const c = channel(ntfy.url);
    for (const m of [
      message({ severity: "degraded", health: "degraded" }),
      message({ escalatedFrom: "degraded" }),
      message({ kind: "reminder" }),
      message({ kind: "resolved", health: "healthy", checks: [], endsAt: "2026-03-01T11:00:00Z", url: undefined }),
    ])
      await c.send(m, AbortSignal.timeout(5_000));
    const published = ntfy.requests.map(ntfyPublicationOf);
    expect(published.map((p) => [p.priority, p.tags![0], p.title!.split("]")[0]])).toEqual([
      ["4", "warning", "[FIRING"],
      ["5", "rotating_light", "[ESCALATED to down"],
      ["5", "rotating_light", "[REMINDER"],
      ["3", "white_check_mark", "[RESOLVED"],
    ]);
    expect(published[3]).not.toHaveProperty("click");
    expect(published[3]!.message).toContain("All checks pass.");
  });

  it("when a token is set, then it goes as Bearer; credentials in the URL go as Basic; neither appears in an error", async () => {
    const ntfy = await httpReceiver({ status: 403, body: `{"code":40301,"error":"forbidden ${TOKEN}"}` });
    const err = await rejection(channel(ntfy.url, TOKEN).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(ntfy.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("HTTP 403");
    expect(err.message).not.toContain(TOKEN);

    const basic = await httpReceiver(NTFY_OK);
    await channel(basic.url.replace("http://", "http://phil:s3cret-ntfy-pw@")).send(message(), AbortSignal.timeout(5_000));
    expect(basic.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("phil:s3cret-ntfy-pw").toString("base64")}`);
  });

  it("when the message is longer than ntfy's 4096 bytes, then it is cut at a line, under the limit, with a note", async () => {
    const ntfy = await httpReceiver(NTFY_OK);
    const checks = Array.from({ length: 60 }, (_, i) => alertCheck({ check: `check-${i}`, message: `ünïcödé ${"✓".repeat(20)} ${i}` }));
    await channel(ntfy.url).send(message({ checks }), AbortSignal.timeout(5_000));
    const published = ntfyPublicationOf(ntfy.requests[0]!);
    const bytes = Buffer.byteLength(published.message, "utf8");
    expect(bytes).toBeLessThanOrEqual(NTFY_MAX_MESSAGE_BYTES);
    expect(bytes).toBeGreaterThan(NTFY_MAX_MESSAGE_BYTES / 2);
    expect(published.message.endsWith(NTFY_TRUNCATED)).toBe(true);
    expect(published.message.slice(0, -NTFY_TRUNCATED.length)).toMatch(/(Fix: Issue a new token with @BotFather\.|\d)$/);
  });

  it("when ntfy answers 500 or cannot be reached, then a retryable ChannelError", async () => {
    const ntfy = await httpReceiver({ status: 502 });
    expect((await rejection(channel(ntfy.url).send(message(), AbortSignal.timeout(5_000)), ChannelError)).permanent).toBe(false);
    const url = ntfy.url;
    await ntfy.close();
    const err = await rejection(channel(url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("network error");
  });

  it("when a header is encoded as RFC 2047 words, then the test's decoder reads it as ntfy does (the check can fail)", () => {
    expect(decodeRfc2047("[FIRING] =?UTF-8?B?wqvDvG7Dr2NvZGXCuw==?= =?UTF-8?B?IOKckw==?=")).toBe("[FIRING] «ünïcode» ✓");
    expect(decodeRfc2047("=?UTF-8?Q?=C3=84pfel?=")).toBe("Äpfel");
    expect(() => ntfyPublicationOf({ method: "POST", path: "/t", headers: { title: "«raw»" }, body: Buffer.from("x") })).toThrow(/not ASCII/);
    expect(() => ntfyPublicationOf({ method: "POST", path: "/t", headers: {}, body: Buffer.alloc(4097, "a") })).toThrow(/4,096-byte/);
  });
});

describe("ntfy channel through the outbox", () => {
  it("when ntfy answers 429 with Retry-After as an HTTP date, then the outbox waits until then before publishing again", async () => {
    // HTTP dates have whole seconds: two seconds ahead is at least one second away.
    const throttled = { status: 429, headers: { "retry-after": new Date(Date.now() + 2_000).toUTCString() }, body: '{"code":42901,"http":429,"error":"limit reached: too many requests"}' };
    const { requests, waitedMs } = await throttledDelivery(channel, throttled, NTFY_OK, message());
    expect(requests).toHaveLength(2);
    expect(waitedMs).toBeGreaterThanOrEqual(900);
    expect(ntfyPublicationOf(requests[1]!).title).toBe(ntfyPublicationOf(requests[0]!).title);
  });

  it("when ntfy answers 400, then the message is dropped after one attempt and counted as dropped", async () => {
    const { requests, counted } = await refusedDelivery(channel, { status: 400, body: '{"code":40007,"http":400,"error":"invalid request: topic invalid"}' }, message({ kind: "reminder" }));
    expect(requests).toHaveLength(1);
    expect(counted).toContain('secretary_notifications_total{channel="ntfy",kind="reminder",result="dropped"} 1');
  });
});

describe("ntfy channel configuration and `alerts test`", () => {
  const configOf = (ntfy: Record<string, unknown>) => parseConfig(JSON.stringify({ alerts: { channels: { ntfy: { type: "ntfy", ...ntfy } } } }), {}, "test.yaml");

  it("when the URL has no topic, then the error names the key and shows the form expected", () => {
    for (const url of ["https://ntfy.sh", "https://ntfy.sh/", "https://ntfy.sh/has.dot", "ntfy.sh/mytopic"]) {
      let problems: string[] = [];
      try {
        configOf({ url });
      } catch (err) {
        problems = (err as ConfigError).problems;
      }
      expect(problems, url).toEqual([`alerts.channels.ntfy.url: expected an ntfy topic URL such as https://ntfy.sh/mytopic, got ${JSON.stringify(url)}`]);
    }
  });

  it("when a token is set, then `config check` masks it", () => {
    const config = configOf({ url: "https://ntfy.example.com/ntfy/alerts", token: TOKEN });
    expect(config.alerts.channels.ntfy).toMatchObject({ url: "https://ntfy.example.com/ntfy/alerts", token: TOKEN });
    expect(JSON.stringify(maskConfig(config))).not.toContain(TOKEN);
  });

  it("when `alerts test --channel ntfy` runs, then the topic gets the test notification at default priority", async () => {
    const ntfy = await httpReceiver(NTFY_OK);
    const config = configOf({ url: `${ntfy.url}/ops-secretary` });
    expect(await testChannels(config, "ntfy")).toEqual([{ channel: "ntfy", type: "ntfy", ok: true }]);
    const published = ntfyPublicationOf(ntfy.requests[0]!);
    expect([published.title, published.priority, published.tags]).toEqual(["[TEST] secretary-watch test notification: this channel works", "3", ["test_tube", "monitor"]]);
  });
});
