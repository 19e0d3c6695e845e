/** The simulated Bot API over real HTTP: envelopes, codes and descriptions per method. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";

const ANNA = "7000001:anna-token";
const POLLER = "7000002:poller-token";
const TESTENV = "7000003:testenv-token";
const REVOKED = "7000004:revoked-token";
const PROBE = 555000111;

const world = parseWorld({
  users: [
    { id: 123456789, firstName: "Anna", username: "anna_creator" },
    { id: 222, firstName: "Bob" },
  ],
  bots: [
    {
      token: ANNA,
      username: "anna_secretary_bot",
      firstName: "Anna Secretary",
      webhook: { url: "https://bots.example.com/anna", maxConnections: 40, ipAddress: "203.0.113.10" },
      starBalance: 120,
      connections: [
        {
          id: "bc-anna",
          userId: 123456789,
          date: 1700000000,
          rights: { can_reply: true, can_read_messages: true, can_delete_sent_messages: true, can_view_gifts_and_stars: true, can_edit_bio: false },
          excludedChats: [777],
          recentInbound: [PROBE, 777],
        },
        { id: "bc-off", userId: 123456789, isEnabled: false, rights: { can_reply: true } },
        { id: "bc-bare", userId: 123456789, rights: {}, recentInbound: [PROBE] },
      ],
    },
    {
      token: POLLER,
      username: "poller_bot",
      firstName: "Poller",
      webhook: { url: "", lastErrorSecondsAgo: 30, lastErrorMessage: "Connection refused", allowedUpdates: ["message"] },
      connections: [{ id: "bc-poller", userId: 222, rights: { can_reply: true } }],
      pendingUpdates: [{ businessConnection: "bc-poller" }, { message: { message_id: 5, text: "hi" } }],
    },
    { token: TESTENV, username: "testenv_bot", firstName: "Test Env", environment: "test" },
    { token: REVOKED, username: "revoked_bot", firstName: "Revoked", revoked: true },
  ],
});

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ world });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.world.reset());

type Envelope = { ok: boolean; result?: any; error_code?: number; description?: string };

async function call(token: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: Envelope }> {
  const res = await fetch(`${sandbox.url}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as Envelope };
}

function expectError(r: { status: number; body: Envelope }, code: number, description: string) {
  expect(r.status).toBe(code);
  expect(r.body).toEqual({ ok: false, error_code: code, description });
}

describe("tokens and methods", () => {
  it("when the token is malformed, then 404 Not Found", async () => {
    expectError(await call("not-a-token", "getMe"), 404, "Not Found");
  });
  it("when the token is well-formed but unknown, then 401 Unauthorized", async () => {
    expectError(await call("9999999:nobody", "getMe"), 401, "Unauthorized");
  });
  it("when the token is revoked, then 401 Unauthorized", async () => {
    expectError(await call(REVOKED, "getMe"), 401, "Unauthorized");
  });
  it("when the method is unknown, then 404 Not Found", async () => {
    expectError(await call(ANNA, "getEverything"), 404, "Not Found");
  });
  it("when the path is not a bot path, then 404 Not Found in the Telegram envelope", async () => {
    const res = await fetch(`${sandbox.url}/favicon.ico`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ ok: false, error_code: 404, description: "Not Found" });
  });
  it("when the method name has another case, then it is still served", async () => {
    const r = await call(ANNA, "GETME");
    expect(r.status).toBe(200);
    expect(r.body.result.username).toBe("anna_secretary_bot");
  });
  it("when a test-environment bot is called under /test/, then it answers, and under prod it is 401", async () => {
    const res = await fetch(`${sandbox.url}/bot${TESTENV}/test/getMe`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Envelope).result.id).toBe(7000003);
    expectError(await call(TESTENV, "getMe"), 401, "Unauthorized");
    const prodUnderTest = await fetch(`${sandbox.url}/bot${ANNA}/test/getMe`);
    expect(prodUnderTest.status).toBe(401);
  });
});

describe("parameters", () => {
  it("when parameters come in the query string, then they are read", async () => {
    const res = await fetch(`${sandbox.url}/bot${ANNA}/getBusinessConnection?business_connection_id=bc-anna`);
    expect(((await res.json()) as Envelope).result.id).toBe("bc-anna");
  });
  it("when parameters come form-encoded, then numeric strings are coerced", async () => {
    const res = await fetch(`${sandbox.url}/bot${ANNA}/sendChatAction`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ chat_id: String(PROBE), action: "typing", business_connection_id: "bc-anna" }).toString(),
    });
    expect(await res.json()).toEqual({ ok: true, result: true });
  });
  it("when message_ids is a JSON array string in a form, then it is parsed", async () => {
    const sent = await call(ANNA, "sendMessage", { chat_id: PROBE, text: "x", business_connection_id: "bc-anna" });
    const res = await fetch(`${sandbox.url}/bot${ANNA}/deleteBusinessMessages`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ business_connection_id: "bc-anna", message_ids: `[${sent.body.result.message_id}]` }).toString(),
    });
    expect(await res.json()).toEqual({ ok: true, result: true });
    expect(sandbox.world.messages()).toEqual([]);
  });
});

describe("getMe", () => {
  it("when called, then it returns the bot user with the getMe-only fields", async () => {
    const r = await call(ANNA, "getMe");
    expect(r.body).toEqual({
      ok: true,
      result: {
        id: 7000001,
        is_bot: true,
        first_name: "Anna Secretary",
        username: "anna_secretary_bot",
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: true,
        has_main_web_app: false,
      },
    });
  });
});

describe("getBusinessConnection", () => {
  it("when the connection is enabled, then rights hold only the true ones and can_reply mirrors them", async () => {
    const r = await call(ANNA, "getBusinessConnection", { business_connection_id: "bc-anna" });
    expect(r.body.result).toEqual({
      id: "bc-anna",
      user: { id: 123456789, is_bot: false, first_name: "Anna", username: "anna_creator" },
      user_chat_id: 123456789,
      date: 1700000000,
      is_enabled: true,
      can_reply: true,
      rights: { can_reply: true, can_read_messages: true, can_delete_sent_messages: true, can_view_gifts_and_stars: true },
    });
  });
  it("when the connection is disabled, then rights are omitted and can_reply is false", async () => {
    const r = await call(ANNA, "getBusinessConnection", { business_connection_id: "bc-off" });
    expect(r.body.result.is_enabled).toBe(false);
    expect(r.body.result.can_reply).toBe(false);
    expect(r.body.result).not.toHaveProperty("rights");
  });
  it("when the connection has no rights, then rights is empty and can_reply false", async () => {
    const r = await call(ANNA, "getBusinessConnection", { business_connection_id: "bc-bare" });
    expect(r.body.result.rights).toEqual({});
    expect(r.body.result.can_reply).toBe(false);
  });
  it("when the id is missing, unknown, or another bot's, then 400 business connection not found", async () => {
    for (const params of [{}, { business_connection_id: "nope" }, { business_connection_id: "bc-poller" }]) {
      expectError(await call(ANNA, "getBusinessConnection", params), 400, "Bad Request: business connection not found");
    }
  });
});

describe("getWebhookInfo", () => {
  it("when the bot has a healthy webhook, then only set optional fields appear", async () => {
    const r = await call(ANNA, "getWebhookInfo");
    expect(r.body.result).toEqual({
      url: "https://bots.example.com/anna",
      has_custom_certificate: true,
      pending_update_count: 0,
      max_connections: 40,
      ip_address: "203.0.113.10",
    });
  });
  it("when the bot polls with an old error and a filter, then url is empty and error/allowed_updates show", async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await call(POLLER, "getWebhookInfo");
    expect(r.body.result.url).toBe("");
    expect(r.body.result.pending_update_count).toBe(2);
    expect(r.body.result.last_error_message).toBe("Connection refused");
    expect(r.body.result.last_error_date).toBeGreaterThanOrEqual(before - 31);
    expect(r.body.result.last_error_date).toBeLessThanOrEqual(before - 29);
    expect(r.body.result.allowed_updates).toEqual(["message"]);
    expect(r.body.result).not.toHaveProperty("ip_address");
  });
});

describe("sendChatAction", () => {
  const action = (params: Record<string, unknown>) =>
    call(ANNA, "sendChatAction", { action: "typing", business_connection_id: "bc-anna", chat_id: PROBE, ...params });

  it("when the chat is in scope with recent inbound, then true", async () => {
    expect((await action({})).body).toEqual({ ok: true, result: true });
  });
  it("when the action is unknown, then 400 wrong parameter action", async () => {
    expectError(await action({ action: "dancing" }), 400, "Bad Request: wrong parameter action in request");
  });
  it("when chat_id is not an integer on a business call, then 400 (as telegram-bot-api words it)", async () => {
    expectError(await action({ chat_id: "@someone" }), 400, "Bad Request: chat identifier must be a valid Integer");
  });
  it("when chat_id is not an integer without a connection, then 400 chat not found", async () => {
    expectError(await call(ANNA, "sendChatAction", { action: "typing", chat_id: "@someone" }), 400, "Bad Request: chat not found");
  });
  it("when the connection is unknown, then 400 business connection not found", async () => {
    expectError(await action({ business_connection_id: "nope" }), 400, "Bad Request: business connection not found");
  });
  it("when the connection is disabled, then 400 BUSINESS_CONNECTION_INVALID", async () => {
    expectError(await action({ business_connection_id: "bc-off" }), 400, "Bad Request: BUSINESS_CONNECTION_INVALID");
  });
  it("when can_reply is missing, then 400 BOT_ACCESS_FORBIDDEN", async () => {
    expectError(await action({ business_connection_id: "bc-bare" }), 400, "Bad Request: BOT_ACCESS_FORBIDDEN");
  });
  it("when the chat is excluded from scope, then 400 BUSINESS_PEER_INVALID", async () => {
    expectError(await action({ chat_id: 777 }), 400, "Bad Request: BUSINESS_PEER_INVALID");
  });
  it("when the chat has no recent inbound message, then 400 BUSINESS_PEER_USAGE_MISSING", async () => {
    expectError(await action({ chat_id: 888 }), 400, "Bad Request: BUSINESS_PEER_USAGE_MISSING");
  });
});

describe("getBusinessAccountStarBalance", () => {
  it("when the Stars right is granted, then the balance", async () => {
    const r = await call(ANNA, "getBusinessAccountStarBalance", { business_connection_id: "bc-anna" });
    expect(r.body).toEqual({ ok: true, result: { amount: 120, nanostar_amount: 0 } });
  });
  it("when can_view_gifts_and_stars is missing, then 400 BOT_ACCESS_FORBIDDEN", async () => {
    const r = await call(POLLER, "getBusinessAccountStarBalance", { business_connection_id: "bc-poller" });
    expectError(r, 400, "Bad Request: BOT_ACCESS_FORBIDDEN");
  });
  it("when the connection is another bot's, then 400 business connection not found", async () => {
    const r = await call(POLLER, "getBusinessAccountStarBalance", { business_connection_id: "bc-anna" });
    expectError(r, 400, "Bad Request: business connection not found");
  });
});

describe("sendMessage", () => {
  it("when sent through a connection, then a business Message is returned and recorded", async () => {
    const r = await call(ANNA, "sendMessage", { chat_id: PROBE, text: "nonce-1", business_connection_id: "bc-anna" });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ chat: { id: PROBE, type: "private" }, text: "nonce-1", business_connection_id: "bc-anna" });
    expect(sandbox.world.messages()).toMatchObject([
      { bot: "anna_secretary_bot", chatId: PROBE, text: "nonce-1", businessConnectionId: "bc-anna", messageId: r.body.result.message_id },
    ]);
  });
  it("when sent to a supergroup topic, then chat type and thread are reflected", async () => {
    const r = await call(ANNA, "sendMessage", { chat_id: "-1001234567890", text: "alert", message_thread_id: 42 });
    expect(r.body.result).toMatchObject({ chat: { id: -1001234567890, type: "supergroup" }, message_thread_id: 42 });
    expect(r.body.result).not.toHaveProperty("business_connection_id");
    expect(sandbox.world.messages()[0]).toMatchObject({ chatId: -1001234567890, messageThreadId: 42, businessConnectionId: null });
  });
  it("when the text is empty, then 400 message text is empty", async () => {
    expectError(await call(ANNA, "sendMessage", { chat_id: 1, text: "" }), 400, "Bad Request: message text is empty");
  });
  it("when the parse_mode is unknown, then 400 unsupported parse_mode", async () => {
    expectError(await call(ANNA, "sendMessage", { chat_id: 1, text: "x", parse_mode: "BBCode" }), 400, "Bad Request: unsupported parse_mode");
  });
  it("when the connection lacks can_reply, then 400 BOT_ACCESS_FORBIDDEN and nothing is recorded", async () => {
    const r = await call(ANNA, "sendMessage", { chat_id: PROBE, text: "x", business_connection_id: "bc-bare" });
    expectError(r, 400, "Bad Request: BOT_ACCESS_FORBIDDEN");
    expect(sandbox.world.messages()).toEqual([]);
  });

  describe("HTML parse_mode", () => {
    const html = (text: string) => call(ANNA, "sendMessage", { chat_id: 1, text, parse_mode: "HTML" });
    it("when tags are supported and entities escaped, then the rendered text is returned and the raw text recorded", async () => {
      const r = await html('<b>Bot</b> &lt;Anna &amp; Co&gt; <a href="https://x.example/?a=1&amp;b=2">link</a> <tg-spoiler>s</tg-spoiler>');
      expect(r.status).toBe(200);
      expect(r.body.result.text).toBe("Bot <Anna & Co> link s");
      expect(sandbox.world.messages()[0]!.text).toContain("&lt;Anna &amp; Co&gt;");
    });
    it("when a name with an unescaped < is sent, then 400 unsupported start tag with byte offset", async () => {
      expectError(await html("Bot <Anna> down"), 400, 'Bad Request: can\'t parse entities: Unsupported start tag "anna" at byte offset 4');
    });
    it("when offsets follow multibyte text, then they are counted in bytes", async () => {
      expectError(await html("é <x>"), 400, 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3');
    });
    it("when a tag is not closed, then 400 can't find end tag", async () => {
      expectError(await html("<b>bold"), 400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b");
    });
    it("when a < is never closed, then 400 unclosed start tag", async () => {
      expectError(await html("a < b"), 400, 'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2');
      expectError(await html("a <b"), 400, "Bad Request: can't parse entities: Unclosed start tag at byte offset 2");
    });
    it("when end tags mismatch, then 400 unmatched end tag", async () => {
      expectError(await html("<b><i>x</b></i>"), 400, 'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"');
    });
    it("when an end tag comes first, then 400 unexpected end tag", async () => {
      expectError(await html("x</b>"), 400, "Bad Request: can't parse entities: Unexpected end tag at byte offset 1");
    });
    it("when a bare & or > appears, then it is accepted literally", async () => {
      const r = await html("R&D > QA & ops");
      expect(r.body.result.text).toBe("R&D > QA & ops");
    });
    it("when only tags remain empty, then 400 message text is empty", async () => {
      expectError(await html("<b> </b>"), 400, "Bad Request: message text is empty");
    });
  });
});

describe("deleteBusinessMessages", () => {
  it("when can_delete_sent_messages is granted, then true and the message leaves the outbox", async () => {
    const sent = await call(ANNA, "sendMessage", { chat_id: PROBE, text: "x", business_connection_id: "bc-anna" });
    const r = await call(ANNA, "deleteBusinessMessages", { business_connection_id: "bc-anna", message_ids: [sent.body.result.message_id] });
    expect(r.body).toEqual({ ok: true, result: true });
    expect(sandbox.world.messages()).toEqual([]);
  });
  it("when the right is missing, then 400 BOT_ACCESS_FORBIDDEN", async () => {
    const r = await call(ANNA, "deleteBusinessMessages", { business_connection_id: "bc-bare", message_ids: [1] });
    expectError(r, 400, "Bad Request: BOT_ACCESS_FORBIDDEN");
  });
  it("when message_ids is missing, then 400 message identifiers are not specified", async () => {
    const r = await call(ANNA, "deleteBusinessMessages", { business_connection_id: "bc-anna" });
    expectError(r, 400, "Bad Request: message identifiers are not specified");
  });
});

describe("getUpdates", () => {
  it("when the bot has a webhook, then 409 Conflict", async () => {
    expectError(
      await call(ANNA, "getUpdates"),
      409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
  });
  it("when the bot polls, then pending updates are returned once (business_connection rendered) and cleared", async () => {
    const first = await call(POLLER, "getUpdates");
    expect(first.body.result).toEqual([
      {
        update_id: 1,
        business_connection: {
          id: "bc-poller",
          user: { id: 222, is_bot: false, first_name: "Bob" },
          user_chat_id: 222,
          date: expect.any(Number),
          is_enabled: true,
          can_reply: true,
          rights: { can_reply: true },
        },
      },
      { update_id: 2, message: { message_id: 5, text: "hi" } },
    ]);
    expect((await call(POLLER, "getUpdates")).body.result).toEqual([]);
  });
});

describe("call counting", () => {
  it("when calls are made, then they are counted per bot and method, with null for unknown tokens", async () => {
    await call(ANNA, "getMe");
    await call(ANNA, "getme");
    await call(ANNA, "getUpdates");
    await call("9999999:nobody", "getMe");
    await call("garbage", "getMe");
    const res = await fetch(`${sandbox.url}/_sandbox/calls`);
    const calls = (await res.json()) as { bot: string | null; method: string; count: number }[];
    expect(calls).toEqual(
      expect.arrayContaining([
        { bot: "anna_secretary_bot", method: "getMe", count: 2 },
        { bot: "anna_secretary_bot", method: "getUpdates", count: 1 },
        { bot: null, method: "getMe", count: 2 },
      ]),
    );
    expect(JSON.stringify(calls)).not.toContain("nobody");
    expect(sandbox.world.callCount("getUpdates")).toBe(1);
  });
});
