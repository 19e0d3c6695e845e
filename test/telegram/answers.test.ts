/**
 * Issue 12, items 2 and 8: only an answer with the Bot API's shape, whose result has the method's type,
 * reaches a check. Everything else (a proxy's page, JSON of another shape, a result with wrong types) is
 * `unreachable` (the checks' `unknown`) with a message naming what was wrong, never a refusal.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotClient } from "../../src/telegram/client.ts";
import { TelegramError, type CodeLabel } from "../../src/telegram/errors.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { rejection } from "../support/rejection.ts";

const ROOT = "http://bot-api.test";
const TOKEN = "7000001:answers-test-secret-Qw3";
const transport = createTransport();

function client() {
  const seen: CodeLabel[] = [];
  const c = new BotClient(TOKEN, { apiRoot: ROOT, environment: "prod", timeoutMs: 2000 }, transport, (_method, code) => seen.push(code));
  return { c, seen };
}

const page = (status: number) => `<html><head><title>${status}</title></head><body><h1>${status}</h1><hr>nginx</body></html>`;
const user = { id: 7000001, is_bot: true, first_name: "Anna", username: "anna_bot", can_connect_to_business: true };
const connection = { id: "bc-1", user: { id: 42, is_bot: false, first_name: "Owner" }, user_chat_id: 42, date: 1, is_enabled: true, rights: { can_reply: true } };
const webhook = { url: "https://example.com/hook", has_custom_certificate: false, pending_update_count: 0 };

interface Row {
  what: string;
  method: string;
  status: number;
  body: string | object;
  contentType?: string;
  message: string;
  code: CodeLabel;
}

const envelopeRows: Row[] = [
  ...[400, 401, 403, 404, 407].map((status) => ({
    what: `an HTML page with status ${status}`,
    method: "getMe",
    status,
    body: page(status),
    contentType: "text/html; charset=utf-8",
    message: `getMe: HTTP ${status} with a text/html body, not a Bot API answer`,
    code: (status === 401 || status === 404 ? String(status) : "400") as CodeLabel,
  })),
  { what: '{"ok": false, "description": "Unauthorized"} on HTTP 200', method: "getMe", status: 200, body: { ok: false, description: "Unauthorized" }, message: 'getMe: HTTP 200 with "ok": false and error_code missing, expected a number, not a Bot API answer', code: "200" },
  { what: '{"ok": false} with no description (item 8)', method: "getMe", status: 400, body: { ok: false }, message: 'getMe: HTTP 400 with "ok": false and error_code missing, expected a number, not a Bot API answer', code: "400" },
  { what: "an error_code but no description", method: "getMe", status: 401, body: { ok: false, error_code: 401 }, message: 'getMe: HTTP 401 with "ok": false and description missing, expected a string, not a Bot API answer', code: "401" },
  { what: "an error_code that is not the HTTP status", method: "getMe", status: 200, body: { ok: false, error_code: 401, description: "Unauthorized" }, message: "getMe: HTTP 200 with \"ok\": false and error_code 401 (Telegram's error_code is the HTTP status), not a Bot API answer", code: "200" },
  { what: "ok: true with a status other than 200", method: "getMe", status: 404, body: { ok: true, result: user }, message: 'getMe: HTTP 404 with "ok": true (Telegram answers ok only with HTTP 200), not a Bot API answer', code: "404" },
  { what: "ok: true without a result", method: "getMe", status: 200, body: { ok: true }, message: 'getMe: HTTP 200 with "ok": true but no result, not a Bot API answer', code: "200" },
  { what: "JSON without ok", method: "getMe", status: 200, body: { error: "upstream" }, message: 'getMe: HTTP 200 with JSON whose "ok" is missing, expected true or false, not a Bot API answer', code: "200" },
  { what: "ok as a string", method: "getMe", status: 200, body: { ok: "true", result: user }, message: 'getMe: HTTP 200 with JSON whose "ok" is a string, expected true or false, not a Bot API answer', code: "200" },
  { what: "a JSON array", method: "getMe", status: 200, body: "[]", contentType: "application/json", message: "getMe: HTTP 200 with a JSON array instead of an object, not a Bot API answer", code: "200" },
  { what: "an empty body", method: "getMe", status: 200, body: "", message: "getMe: HTTP 200 with an empty body, not a Bot API answer", code: "200" },
];

const resultRows: Row[] = [
  { what: "getMe result {}", method: "getMe", status: 200, body: { ok: true, result: {} }, message: "getMe: result.id is missing, expected a number", code: "200" },
  { what: 'can_connect_to_business: "true"', method: "getMe", status: 200, body: { ok: true, result: { ...user, can_connect_to_business: "true" } }, message: "getMe: result.can_connect_to_business is a string, expected a boolean", code: "200" },
  { what: 'is_enabled: "false"', method: "getBusinessConnection", status: 200, body: { ok: true, result: { ...connection, is_enabled: "false" } }, message: "getBusinessConnection: result.is_enabled is a string, expected a boolean", code: "200" },
  { what: "rights: []", method: "getBusinessConnection", status: 200, body: { ok: true, result: { ...connection, rights: [] } }, message: "getBusinessConnection: result.rights is an array, expected an object", code: "200" },
  { what: 'a right as "true"', method: "getBusinessConnection", status: 200, body: { ok: true, result: { ...connection, rights: { can_reply: "true" } } }, message: "getBusinessConnection: result.rights.can_reply is a string, expected a boolean", code: "200" },
  { what: "getBusinessConnection result {}", method: "getBusinessConnection", status: 200, body: { ok: true, result: {} }, message: "getBusinessConnection: result.id is missing, expected a string; result.user is missing, expected an object; result.is_enabled is missing, expected a boolean", code: "200" },
  { what: "pending_update_count as a string", method: "getWebhookInfo", status: 200, body: { ok: true, result: { ...webhook, pending_update_count: "3" } }, message: "getWebhookInfo: result.pending_update_count is a string, expected a number", code: "200" },
  { what: "allowed_updates with a number", method: "getWebhookInfo", status: 200, body: { ok: true, result: { ...webhook, allowed_updates: ["business_message", 7] } }, message: "getWebhookInfo: result.allowed_updates[1] is the number 7, expected a string", code: "200" },
  { what: "a Stars amount that is a fraction", method: "getBusinessAccountStarBalance", status: 200, body: { ok: true, result: { amount: 1.5 } }, message: "getBusinessAccountStarBalance: result.amount is the fraction 1.5, expected an integer", code: "200" },
  { what: 'sendChatAction result "true"', method: "sendChatAction", status: 200, body: { ok: true, result: "true" }, message: "sendChatAction: result is a string, expected true", code: "200" },
];

describe("answers that are not the Bot API's", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    transport.close();
  });

  it.each([...envelopeRows, ...resultRows])("when the answer is $what, then the call is unreachable saying what was wrong", async (row) => {
    const headers = { "content-type": row.contentType ?? "application/json" };
    nock(ROOT).post(`/bot${TOKEN}/${row.method}`).reply(row.status, typeof row.body === "string" ? row.body : JSON.stringify(row.body), headers);
    const { c, seen } = client();
    const err = await rejection(c.call(row.method, { business_connection_id: "bc-1" }), TelegramError);
    expect(err.message).toBe(row.message);
    expect(err).toMatchObject({ kind: "unreachable", code: row.code });
    expect(seen).toEqual([row.code]);
  });

  it("when a result has every field the checks read plus fields nobody knows, then it is returned whole", async () => {
    const result = { ...connection, rights: { can_reply: true, can_do_new_things: true }, brand_new_field: { x: [1] } };
    nock(ROOT).post(`/bot${TOKEN}/getBusinessConnection`).reply(200, { ok: true, result });
    await expect(client().c.call("getBusinessConnection", { business_connection_id: "bc-1" })).resolves.toEqual(result);
  });

  it("when Telegram's own refusal comes back, then it is still a refusal with its description", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).reply(401, { ok: false, error_code: 401, description: "Unauthorized" });
    const err = await rejection(client().c.call("getMe"), TelegramError);
    expect(err).toMatchObject({ kind: "refused", code: "401", description: "Unauthorized" });
  });
});

describe("tokens inside what Telegram returns (issue 12, item 3)", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  const encoded = TOKEN.replace(":", "%3A");
  const fully = [...TOKEN].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");

  it("when a result's texts hold the token, plain or percent-encoded, then the result comes back with it masked", async () => {
    const result = {
      ...webhook,
      url: `https://host.example/bot${TOKEN}/hook`,
      last_error_date: 1,
      last_error_message: `Wrong response from https://host.example/hook?t=${encoded} and ${fully} for ${TOKEN}`,
    };
    nock(ROOT).post(`/bot${TOKEN}/getWebhookInfo`).reply(200, { ok: true, result });
    const got = await client().c.call<typeof result>("getWebhookInfo");
    const secret = TOKEN.split(":")[1]!;
    expect(JSON.stringify(got)).not.toContain(secret);
    expect(JSON.stringify(got)).not.toContain(encodeURIComponent(secret).slice(0, 10));
    expect(got.url).toBe("https://host.example/bot****/hook");
    expect(got.last_error_message).toBe("Wrong response from https://host.example/hook?t=7000001:**** and 7000001:**** for 7000001:****");
  });

  it("when an error description holds the URL-encoded token, then the error does not", async () => {
    nock(ROOT).post(`/bot${TOKEN}/getMe`).reply(400, { ok: false, error_code: 400, description: `Bad Request: token ${encoded} is odd` });
    const err = await rejection(client().c.call("getMe"), TelegramError);
    expect(err.description).toBe("Bad Request: token 7000001:**** is odd");
  });
});
