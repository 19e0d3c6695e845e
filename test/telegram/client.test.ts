import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotClient } from "../../src/telegram/client.ts";
import { TelegramError, type CodeLabel } from "../../src/telegram/errors.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { rejection } from "../support/rejection.ts";

const ROOT = "http://bot-api.test";
const TOKEN = "7000001:unit-test-secret-Xq9";
const transport = createTransport();

function client(options: { timeoutMs?: number; environment?: "prod" | "test" } = {}) {
  const seen: Array<{ method: string; code: CodeLabel }> = [];
  const c = new BotClient(
    TOKEN,
    { apiRoot: ROOT, environment: options.environment ?? "prod", timeoutMs: options.timeoutMs ?? 2000 },
    transport,
    (method, code) => seen.push({ method, code }),
  );
  return { c, seen };
}

describe("BotClient error classification", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    transport.close();
  });

  it("when Telegram answers ok, then the result is returned and counted as 200", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).reply(200, { ok: true, result: { id: 7000001, is_bot: true, first_name: "A" } });
    const { c, seen } = client();
    await expect(c.call("getMe")).resolves.toMatchObject({ id: 7000001 });
    expect(seen).toEqual([{ method: "getMe", code: "200" }]);
  });

  it("when the environment is test, then the request goes to the /test/ path", async () => {
    nock(ROOT).post(`/bot${TOKEN}/test/getMe`).reply(200, { ok: true, result: { id: 1 } });
    await expect(client({ environment: "test" }).c.call("getMe")).resolves.toEqual({ id: 1 });
  });

  it("when a method takes parameters, then they are sent as the JSON body", async () => {
    const connection = { id: "bc-1", user: { id: 1, is_bot: false, first_name: "O" }, user_chat_id: 1, date: 1, is_enabled: true };
    nock(ROOT)
      .post(`/bot${TOKEN}/getBusinessConnection`, { business_connection_id: "bc-1" })
      .reply(200, { ok: true, result: connection });
    await expect(client().c.call("getBusinessConnection", { business_connection_id: "bc-1" })).resolves.toEqual(connection);
  });

  it.each([
    [401, "Unauthorized", "refused", "401"],
    [404, "Not Found", "refused", "404"],
    [400, "Bad Request: business connection not found", "refused", "400"],
    [403, "Forbidden: bot was blocked by the user", "refused", "400"],
    [500, "Internal Server Error", "unreachable", "5xx"],
  ] as const)("when Telegram answers %i, then the error is %s with code label %s", async (status, description, kind, code) => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).reply(status, { ok: false, error_code: status, description });
    const { c, seen } = client();
    const err = await rejection(c.call("getMe"), TelegramError);
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.description).toBe(description);
    expect(seen[0]?.code).toBe(code);
  });

  it("when a proxy answers 502 with an HTML page, then the status is kept and the result is unreachable", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getWebhookInfo`).reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", { "content-type": "text/html" });
    const { c, seen } = client();
    const err = await rejection(c.call("getWebhookInfo"), TelegramError);
    expect(err.kind).toBe("unreachable");
    expect(err.code).toBe("5xx");
    expect(err.description).toContain("HTTP 502");
    expect(seen[0]?.code).toBe("5xx");
  });

  it("when Telegram answers 429, then later calls wait out retry_after without sending a request", async () => {
    nock(ROOT)
      .post(`/bot${TOKEN}/getMe`)
      .reply(429, { ok: false, error_code: 429, description: "Too Many Requests: retry after 30", parameters: { retry_after: 30 } });
    const second = nock(ROOT).post(`/bot${TOKEN}/getWebhookInfo`).reply(200, { ok: true, result: {} });
    const { c, seen } = client();
    const first = await rejection(c.call("getMe"), TelegramError);
    expect(first).toMatchObject({ kind: "unreachable", code: "429", retryAfter: 30 });
    const gated = await rejection(c.call("getWebhookInfo"), TelegramError);
    expect(gated).toMatchObject({ kind: "unreachable", code: "429" });
    expect(second.isDone()).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it("when the connection is reset, then the result is unreachable (network)", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const { c, seen } = client();
    const err = await rejection(c.call("getMe"), TelegramError);
    expect(err).toMatchObject({ kind: "unreachable", code: "network" });
    expect(seen[0]?.code).toBe("network");
  });

  it("when Telegram does not answer within the timeout, then the call is abandoned as a timeout", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).delay(1500).reply(200, { ok: true, result: {} });
    const { c, seen } = client({ timeoutMs: 100 });
    const started = performance.now();
    const err = await rejection(c.call("getMe"), TelegramError);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ kind: "unreachable", code: "timeout" });
    expect(seen[0]?.code).toBe("timeout");
  });

  it("when any call fails, then the error never contains the token", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).replyWithError(`connect failed for ${ROOT}/bot${TOKEN}/getMe`);
    const err = await rejection(client().c.call("getMe"), TelegramError);
    expect(`${err.message} ${err.description} ${err.stack}`).not.toContain(TOKEN.split(":")[1]);
  });
});
