/** The webhook channel against a local HTTP server. */
import { createHmac, timingSafeEqual } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../../src/alerts/channels/http-delivery.ts";
import { createWebhookChannel } from "../../../src/alerts/channels/webhook.ts";
import { ChannelError } from "../../../src/alerts/types.ts";
import type { AlertMessage, Channel } from "../../../src/alerts/types.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { closeHttpReceivers, httpReceiver } from "../../support/http-receiver.ts";
import type { ReceiverAnswer } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";

const SECRET = "hook-secret-4f9a";

const message = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({
    bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip" } },
    severity: "degraded",
    health: "degraded",
    since: "2026-03-01T10:00:00.000Z",
    at: "2026-03-01T10:02:00.000Z",
    activeUntil: "2026-03-01T18:02:00.000Z",
    summary: "anna (@anna_secretary_bot) is degraded — «ünïcode» ✓",
    checks: [alertCheck({ check: "rights", status: "warn", message: "missing can_transfer_stars", remediation: "Allow it." })],
    ...overrides,
  });

afterEach(closeHttpReceivers);

/** A receiver whose hook URL has a path and a query. */
async function receiver(answer: ReceiverAnswer = { status: 204 }) {
  const hook = await httpReceiver(answer);
  return { ...hook, url: `${hook.url}/hooks/secretary?x=1` };
}

function channel(url: string, secret = SECRET, timeoutMs = 2_000): Channel {
  return createWebhookChannel("hook", { type: "webhook", url, secret, minHealth: "degraded", bots: {} }, { timeoutMs });
}

describe("webhook channel", () => {
  it("when a notification is sent, then the body is {version: 1, ...message} as JSON", async () => {
    const hook = await receiver();
    const m = message();
    await channel(hook.url).send(m, AbortSignal.timeout(5_000));
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    expect(req.path).toBe("/hooks/secretary?x=1");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req.body.toString("utf8"))).toEqual({ version: 1, ...m });
  });

  it("when a secret is set, then the signature is the HMAC-SHA256 of the exact body, verifiable by the receiver", async () => {
    const hook = await receiver();
    const before = Math.floor(Date.now() / 1000);
    await channel(hook.url).send(message(), AbortSignal.timeout(5_000));
    const req = hook.requests[0]!;

    const signature = String(req.headers["x-secretary-signature"]);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const stamp = String(req.headers["x-secretary-timestamp"]);
    const signed = (secret: string, ts: string) => `sha256=${createHmac("sha256", secret).update(`${ts}.`).update(req.body).digest("hex")}`;
    expect(timingSafeEqual(Buffer.from(signature), Buffer.from(signed(SECRET, stamp)))).toBe(true);
    expect(signature).not.toBe(signed("another-secret", stamp));
    // A replayed body with a fresh timestamp does not verify.
    expect(signature).not.toBe(signed(SECRET, String(Number(stamp) + 60)));

    const timestamp = Number(stamp);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it("when no secret is set, then no signature headers are sent", async () => {
    const hook = await receiver();
    await channel(hook.url, "").send(message(), AbortSignal.timeout(5_000));
    expect(hook.requests[0]!.headers).not.toHaveProperty("x-secretary-signature");
    expect(hook.requests[0]!.headers).not.toHaveProperty("x-secretary-timestamp");
  });

  it("when the receiver answers 429 with Retry-After: 12, then a retryable ChannelError with retryAfterMs 12000", async () => {
    const hook = await receiver({ status: 429, headers: { "retry-after": "12" } });
    const err = await rejection(channel(hook.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.retryAfterMs).toBe(12_000);
  });

  it("when Retry-After is an HTTP date, then retryAfterMs is the time until it", () => {
    const now = Date.parse("2026-03-01T10:00:00Z");
    expect(parseRetryAfter("Sun, 01 Mar 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("5", now)).toBe(5_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("when the receiver answers 404, then a permanent ChannelError", async () => {
    const hook = await receiver({ status: 404 });
    const err = await rejection(channel(hook.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("HTTP 404");
  });

  it("when the receiver answers 500, then a retryable ChannelError", async () => {
    const hook = await receiver({ status: 500 });
    const err = await rejection(channel(hook.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.retryAfterMs).toBeUndefined();
  });

  it("when the receiver redirects, then a permanent ChannelError naming the new location and no second request", async () => {
    const hook = await receiver({ status: 301, headers: { location: "https://new.example.com/hook" } });
    const err = await rejection(channel(hook.url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("https://new.example.com/hook");
    expect(hook.requests).toHaveLength(1);
  });

  it("when the receiver does not answer before the timeout, then a retryable ChannelError", async () => {
    const hook = await receiver({ status: 200, hang: true });
    const err = await rejection(channel(hook.url, SECRET, 150).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("150 ms");
  });

  it("when the receiver is down, then a retryable ChannelError", async () => {
    const hook = await receiver();
    const url = hook.url;
    await hook.close();
    const err = await rejection(channel(url).send(message(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("network error");
  });

  it("when the caller aborts, then a retryable ChannelError", async () => {
    const hook = await receiver({ status: 200, hang: true });
    const controller = new AbortController();
    const sending = channel(hook.url).send(message(), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(sending, ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("cancelled");
  });
});
