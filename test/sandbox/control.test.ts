/** The control API under /_sandbox, and the same operations driven in-process on World. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Sandbox } from "../../src/sandbox/server.ts";
import { World, parseWorld } from "../../src/sandbox/world.ts";

const ANNA = "7000001:anna-secret-part";
const PROBE = 555000111;

const spec = parseWorld({
  users: [{ id: 123, firstName: "Anna" }, { id: 456, firstName: "Mallory" }],
  bots: [
    {
      token: ANNA,
      username: "anna_bot",
      firstName: "Anna",
      webhook: { url: "https://bots.example.com/anna" },
      connections: [{ id: "bc-anna", userId: 123, rights: { can_reply: true, can_read_messages: true }, recentInbound: [PROBE] }],
    },
  ],
});

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ world: spec });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.world.reset());

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function tg(token: string, method: string, params: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${sandbox.url}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
  });
  return res.json();
}

describe("world", () => {
  it("when the world is read, then every token is masked as <id>:****", async () => {
    const r = await control("GET", "/world");
    expect(r.status).toBe(200);
    expect(r.body.bots[0].token).toBe("7000001:****");
    expect(JSON.stringify(r.body)).not.toContain("secret-part");
  });
  it("when the world was changed and is reset, then it is back as started, calls and messages cleared", async () => {
    await control("PATCH", "/bots/anna_bot", { revoked: true });
    await tg(ANNA, "getMe");
    expect((await tg(ANNA, "getMe")).error_code).toBe(401);
    const r = await control("POST", "/reset");
    expect(r.status).toBe(200);
    expect((await tg(ANNA, "getMe")).ok).toBe(true);
    expect(sandbox.world.calls()).toEqual([{ bot: "anna_bot", method: "getMe", count: 1 }]);
  });
});

describe("bots", () => {
  it("when a bot is added, then 201 and it answers getMe", async () => {
    const r = await control("POST", "/bots", { token: "7000002:new-bot", username: "new_bot", firstName: "New" });
    expect(r.status).toBe(201);
    expect(r.body.token).toBe("7000002:****");
    expect((await tg("7000002:new-bot", "getMe")).result.username).toBe("new_bot");
  });
  it("when a bot body is invalid, then 400 naming the key path", async () => {
    const r = await control("POST", "/bots", { token: "7000002:x", username: "new_bot", firstName: "New", webhook: { url: 5 } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^webhook\.url: /);
  });
  it("when a bot body has an unknown key, then 400 naming it", async () => {
    const r = await control("POST", "/bots", { token: "7000002:x", username: "new_bot", firstName: "New", colour: "red" });
    expect(r).toEqual({ status: 400, body: { error: "colour: unknown key" } });
  });
  it("when a bot reuses a username, then 400", async () => {
    const r = await control("POST", "/bots", { token: "7000002:x", username: "ANNA_BOT", firstName: "Dup" });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^username: /);
  });
  it("when the body is not JSON, then 400", async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/bots`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^body: /);
  });
  it("when a bot is patched (Business Mode off, username), then getMe reflects it", async () => {
    const r = await control("PATCH", "/bots/anna_bot", { canConnectToBusiness: false, username: "renamed_bot" });
    expect(r.status).toBe(200);
    const me = await tg(ANNA, "getMe");
    expect(me.result).toMatchObject({ username: "renamed_bot", can_connect_to_business: false });
  });
  it("when a webhook is broken by PATCH with lastErrorSecondsAgo, then getWebhookInfo shows it", async () => {
    const before = Math.floor(Date.now() / 1000);
    await control("PATCH", "/bots/anna_bot", { webhook: { lastErrorSecondsAgo: 5, lastErrorMessage: "Connection timed out", pendingUpdateCount: 9 } });
    const info = (await tg(ANNA, "getWebhookInfo")).result;
    expect(info.last_error_message).toBe("Connection timed out");
    expect(info.last_error_date).toBeGreaterThanOrEqual(before - 6);
    expect(info.pending_update_count).toBe(9);
    expect(info.url).toBe("https://bots.example.com/anna");
  });
  it("when updates are queued for a polling bot, then they are pending until its getUpdates takes them", async () => {
    await control("PATCH", "/bots/anna_bot", { webhook: { url: "" } });
    const message = { message_id: 7, date: 1700000000, chat: { id: PROBE, type: "private" }, text: "hello" };
    expect(await control("POST", "/bots/anna_bot/updates", { updates: [{ message }, { message: { ...message, message_id: 8 } }] })).toEqual({ status: 201, body: { pending: 2 } });
    expect((await tg(ANNA, "getWebhookInfo")).result.pending_update_count).toBe(2);
    expect((await tg(ANNA, "getUpdates")).result.map((u: { message: { message_id: number } }) => u.message.message_id)).toEqual([7, 8]);
    expect((await tg(ANNA, "getWebhookInfo")).result.pending_update_count).toBe(0);
  });
  it("when queued updates are no list, empty, or for no such bot, then 400 naming updates, or 404", async () => {
    for (const body of [{}, { updates: [] }, { updates: "hello" }]) {
      const r = await control("POST", "/bots/anna_bot/updates", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(/^updates: /);
    }
    expect((await control("POST", "/bots/ghost_bot/updates", { updates: [{ message: {} }] })).status).toBe(404);
  });
  it("when PATCH gives lastErrorDate without a message, then 400 naming webhook.lastErrorMessage", async () => {
    const r = await control("PATCH", "/bots/anna_bot", { webhook: { lastErrorDate: 1700000000 } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^webhook\.lastErrorMessage: /);
  });
  it("when an unknown bot is patched or deleted, then 404", async () => {
    expect((await control("PATCH", "/bots/ghost_bot", { revoked: true })).status).toBe(404);
    expect((await control("DELETE", "/bots/ghost_bot")).status).toBe(404);
  });
  it("when a bot is deleted, then its token is unknown (401)", async () => {
    expect((await control("DELETE", "/bots/anna_bot")).status).toBe(204);
    expect((await tg(ANNA, "getMe")).error_code).toBe(401);
  });
});

describe("connections", () => {
  it("when rights are patched, then they merge and false removes", async () => {
    const r = await control("PATCH", "/bots/anna_bot/connections/bc-anna", { rights: { can_reply: false, can_transfer_stars: true } });
    expect(r.status).toBe(200);
    const bc = (await tg(ANNA, "getBusinessConnection", { business_connection_id: "bc-anna" })).result;
    expect(bc.rights).toEqual({ can_read_messages: true, can_transfer_stars: true });
    expect(bc.can_reply).toBe(false);
  });
  it("when a right name is unknown, then 400 naming rights.<name>", async () => {
    const r = await control("PATCH", "/bots/anna_bot/connections/bc-anna", { rights: { can_delete_outgoing_messages: true } });
    expect(r).toEqual({ status: 400, body: { error: "rights.can_delete_outgoing_messages: unknown key" } });
  });
  it("when the connection is disabled, moved to another owner and the scope changed, then the API follows", async () => {
    await control("PATCH", "/bots/anna_bot/connections/bc-anna", { userId: 456, excludedChats: [PROBE] });
    const bc = (await tg(ANNA, "getBusinessConnection", { business_connection_id: "bc-anna" })).result;
    expect(bc.user).toEqual({ id: 456, is_bot: false, first_name: "Mallory" });
    const probe = await tg(ANNA, "sendChatAction", { chat_id: PROBE, action: "typing", business_connection_id: "bc-anna" });
    expect(probe.description).toBe("Bad Request: BUSINESS_PEER_INVALID");
    await control("PATCH", "/bots/anna_bot/connections/bc-anna", { isEnabled: false });
    expect((await tg(ANNA, "getBusinessConnection", { business_connection_id: "bc-anna" })).result.is_enabled).toBe(false);
  });
  it("when a connection is added and deleted, then it appears and is then not found", async () => {
    const add = await control("POST", "/bots/anna_bot/connections", { id: "bc-2", userId: 123 });
    expect(add.status).toBe(201);
    expect((await tg(ANNA, "getBusinessConnection", { business_connection_id: "bc-2" })).ok).toBe(true);
    expect((await control("DELETE", "/bots/anna_bot/connections/bc-2")).status).toBe(204);
    expect((await tg(ANNA, "getBusinessConnection", { business_connection_id: "bc-2" })).description).toBe(
      "Bad Request: business connection not found",
    );
  });
  it("when a connection id already exists, then 400; when it is unknown, then 404", async () => {
    expect((await control("POST", "/bots/anna_bot/connections", { id: "bc-anna", userId: 1 })).status).toBe(400);
    expect((await control("PATCH", "/bots/anna_bot/connections/nope", { isEnabled: true })).status).toBe(404);
  });
});

describe("faults, calls and messages", () => {
  it("when a fault body is invalid, then 400 naming the key", async () => {
    const r = await control("POST", "/faults", { status: 418 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^status: /);
    expect((await control("POST", "/faults", { retryAfter: 3, status: 500 })).body.error).toMatch(/^retryAfter: /);
  });
  it("when faults are listed and all deleted, then the list empties", async () => {
    const { body } = await control("POST", "/faults", { latencyMs: 1, count: 3 });
    expect((await control("GET", "/faults")).body).toEqual([{ id: body.id, latencyMs: 1, count: 3 }]);
    expect((await control("DELETE", "/faults")).status).toBe(204);
    expect((await control("GET", "/faults")).body).toEqual([]);
    expect((await control("DELETE", "/faults/f999")).status).toBe(404);
  });
  it("when calls and messages are cleared, then both lists are empty", async () => {
    await tg(ANNA, "sendMessage", { chat_id: PROBE, text: "hello", business_connection_id: "bc-anna" });
    expect((await control("GET", "/messages")).body).toMatchObject([{ bot: "anna_bot", chatId: PROBE, text: "hello" }]);
    expect((await control("GET", "/calls")).body).toEqual([{ bot: "anna_bot", method: "sendMessage", count: 1 }]);
    expect((await control("DELETE", "/messages")).status).toBe(204);
    expect((await control("DELETE", "/calls")).status).toBe(204);
    expect((await control("GET", "/messages")).body).toEqual([]);
    expect((await control("GET", "/calls")).body).toEqual([]);
  });
  it("when the control route is unknown, then 404 JSON", async () => {
    expect(await control("GET", "/nothing")).toEqual({ status: 404, body: { error: "no such sandbox control route" } });
  });
});

describe("in-process World", () => {
  it("when driven without HTTP, then the same operations and errors apply", () => {
    let now = 1_800_000_000;
    const world = new World(spec, { now: () => now });
    world.updateBot("anna_bot", { webhook: { lastErrorSecondsAgo: 60, lastErrorMessage: "x", errorEverySeconds: 60 } });
    // Delivery keeps failing: the latest error is never more than errorEverySeconds old.
    expect(world.lastErrorDate(world.getBot("anna_bot"))).toBe(1_800_000_000);
    now += 125;
    expect(world.lastErrorDate(world.getBot("anna_bot"))).toBe(1_800_000_000 + 120);
    expect(() => world.updateConnection("anna_bot", "bc-anna", { userId: "x" })).toThrow(/^userId: /);
    expect(() => world.getBot("ghost")).toThrow(expect.objectContaining({ status: 404 }));
    const fault = world.addFault({ status: 500, count: 1 });
    expect(world.takeFaults("anna_bot", "getMe").outcome).toEqual({ kind: "status", status: 500, retryAfter: 1 });
    expect(world.faults().map((f) => f.id)).not.toContain(fault.id);
  });
});
