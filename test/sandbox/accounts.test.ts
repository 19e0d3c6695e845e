/**
 * Simulated user accounts and Secretary backends: a user writing to a profile, the bot's backend answering
 * (or staying silent), business messages reaching the user, and the account API's long poll.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Sandbox } from "../../src/sandbox/server.ts";
import { DEFAULT_BACKEND_TEXT, World, parseWorld } from "../../src/sandbox/world.ts";

const ANNA = "7000001:anna-token";
const OWNER = 123456789;
const PROBE = 555000111;
const OTHER = 222;
const ALL_RIGHTS = { can_reply: true, can_read_messages: true, can_delete_sent_messages: true };

const spec = parseWorld({
  users: [
    { id: OWNER, firstName: "Anna" },
    { id: PROBE, firstName: "Probe" },
    { id: OTHER, firstName: "Other" },
    { id: 333, firstName: "Nobody's" },
  ],
  bots: [
    {
      token: ANNA,
      username: "anna_bot",
      firstName: "Anna",
      webhook: { url: "https://bots.example.com/anna" },
      backend: { delayMs: 200, text: "Anna will answer soon" },
      connections: [{ id: "bc-anna", userId: OWNER, rights: ALL_RIGHTS, recentInbound: [PROBE] }],
    },
  ],
});

/** Replies the probe account got from the owner, by text. */
const replies = (world: World, to = PROBE) => world.accountChat(to, OWNER).filter((m) => m.from === OWNER).map((m) => m.text);

describe("the Secretary backend (in-process, fake timers)", () => {
  let now = 1_800_000_000;
  let world: World;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_800_000_000;
    world = new World(spec, { now: () => now });
  });
  afterEach(() => {
    world.close();
    vi.useRealTimers();
  });

  /** Sends as the probe, then lets far more than the backend's delay pass. */
  const writeAndWait = (from = PROBE) => {
    world.sendAccountMessage(from, OWNER, "ping");
    vi.advanceTimersByTime(5_000);
    return replies(world, from);
  };

  it("when the bot is healthy, then the owner's answer arrives after the backend's delay, not before", () => {
    const { messageId } = world.sendAccountMessage(PROBE, OWNER, "ping nonce-1");
    expect(world.accountChat(OWNER, PROBE)).toMatchObject([{ from: PROBE, to: OWNER, text: "ping nonce-1" }]);
    vi.advanceTimersByTime(199);
    expect(replies(world)).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(replies(world)).toEqual(["Anna will answer soon"]);
    expect(world.accountChat(PROBE, OWNER)).toEqual([
      { messageId, from: PROBE, to: OWNER, text: "ping nonce-1", date: now },
      { messageId: messageId + 1, from: OWNER, to: PROBE, text: "Anna will answer soon", date: now },
    ]);
  });

  it("when the backend is not configured, then the default text answers after 300 ms", () => {
    const plain = new World(
      parseWorld({
        users: [{ id: OWNER, firstName: "Anna" }, { id: PROBE, firstName: "Probe" }],
        bots: [{ token: ANNA, username: "anna_bot", firstName: "Anna", connections: [{ id: "bc", userId: OWNER, rights: ALL_RIGHTS }] }],
      }),
    );
    expect(plain.getBot("anna_bot").backend).toEqual({ replies: true, delayMs: 300, text: DEFAULT_BACKEND_TEXT });
    plain.sendAccountMessage(PROBE, OWNER, "ping");
    vi.advanceTimersByTime(299);
    expect(replies(plain)).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(replies(plain)).toEqual(["Thanks for your message! We'll get back to you soon."]);
    plain.close();
  });

  it.each<[string, (w: World) => void]>([
    ["the backend is silent", (w) => w.updateBot("anna_bot", { backend: { replies: false } })],
    ["can_reply was removed", (w) => w.updateConnection("anna_bot", "bc-anna", { rights: { can_reply: false } })],
    ["the sender is excluded from the scope", (w) => w.updateConnection("anna_bot", "bc-anna", { excludedChats: [PROBE] })],
    ["the token is revoked", (w) => w.updateBot("anna_bot", { revoked: true })],
    ["Business Mode is off", (w) => w.updateBot("anna_bot", { canConnectToBusiness: false })],
    ["the connection is disabled", (w) => w.updateConnection("anna_bot", "bc-anna", { isEnabled: false })],
    ["the webhook failed 10 s ago", (w) => w.updateBot("anna_bot", { webhook: { lastErrorSecondsAgo: 10, lastErrorMessage: "502" } })],
    ["allowed_updates lacks business_message", (w) => w.updateBot("anna_bot", { webhook: { allowedUpdates: ["message"] } })],
    ["the bot is attached to another profile", (w) => w.updateConnection("anna_bot", "bc-anna", { userId: OTHER })],
  ])("when %s, then no answer ever comes", (_name, breakIt) => {
    breakIt(world);
    expect(writeAndWait()).toEqual([]);
    expect(world.secretaryFor(OWNER, PROBE)).toHaveProperty("silent");
  });

  it("when the webhook error is older than 60 s, or the bot polls, then the backend answers", () => {
    world.updateBot("anna_bot", { webhook: { lastErrorSecondsAgo: 61, lastErrorMessage: "502", url: "" } });
    expect(writeAndWait()).toEqual(["Anna will answer soon"]);
  });

  it("when the right is removed during the backend's delay, then its answer is not sent", () => {
    world.sendAccountMessage(PROBE, OWNER, "ping");
    vi.advanceTimersByTime(100);
    world.updateConnection("anna_bot", "bc-anna", { rights: { can_reply: false } });
    vi.advanceTimersByTime(5_000);
    expect(replies(world)).toEqual([]);
  });

  it("when the world is reset during the delay, then the answer is dropped with the chats", () => {
    world.sendAccountMessage(PROBE, OWNER, "ping");
    world.reset();
    vi.advanceTimersByTime(5_000);
    expect(world.accountChat(PROBE, OWNER)).toEqual([]);
  });

  it("when a new user writes to the profile, then it joins recentInbound of every connection to that profile only", () => {
    world.addConnection("anna_bot", { id: "bc-2", userId: OWNER, isEnabled: false });
    world.addConnection("anna_bot", { id: "bc-other", userId: OTHER });
    expect(world.getConnection("anna_bot", "bc-anna").recentInbound).toEqual([PROBE]);
    world.sendAccountMessage(333, OWNER, "hello");
    world.sendAccountMessage(333, OWNER, "again");
    expect(world.getConnection("anna_bot", "bc-anna").recentInbound).toEqual([PROBE, 333]);
    expect(world.getConnection("anna_bot", "bc-2").recentInbound).toEqual([333]);
    expect(world.getConnection("anna_bot", "bc-other").recentInbound).toEqual([]);
  });

  it("when the sender or the peer is unknown, or the text empty, then 404 / 400", () => {
    expect(() => world.sendAccountMessage(999, OWNER, "x")).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => world.sendAccountMessage(PROBE, 999, "x")).toThrow(expect.objectContaining({ status: 400, message: "peer: no user with id 999" }));
    expect(() => world.sendAccountMessage(PROBE, OWNER, " ")).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => world.sendAccountMessage(PROBE, PROBE, "x")).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("when a backend is patched with an unknown key, then 400 naming backend.<key>", () => {
    expect(() => world.updateBot("anna_bot", { backend: { reply: false } })).toThrow("backend.reply: unknown key");
    world.updateBot("anna_bot", { backend: { replies: false } });
    expect(world.getBot("anna_bot").backend).toEqual({ replies: false, delayMs: 200, text: "Anna will answer soon" });
  });
});

// ---------- over HTTP ----------

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ world: spec });
});
afterAll(async () => {
  await sandbox.close();
});

describe("the account API", () => {
  beforeEach(() => {
    sandbox.world.reset();
    sandbox.world.updateBot("anna_bot", { backend: { delayMs: 30 } });
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${sandbox.url}/_sandbox/accounts${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async function tg(method: string, params: Record<string, unknown>): Promise<any> {
    const res = await fetch(`${sandbox.url}/bot${ANNA}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    return res.json();
  }

  it("when the probe writes to a healthy bot's owner, then 201 and a long poll returns the owner's answer", async () => {
    const started = Date.now();
    const sent = await api("POST", `/${PROBE}/messages`, { peer: OWNER, text: "nonce-42" });
    expect(sent).toEqual({ status: 201, body: { messageId: 1 } });
    const r = await api("GET", `/${PROBE}/updates?offset=0&timeout=5`);
    expect(r.status).toBe(200);
    expect(r.body.updates).toEqual([{ updateId: expect.any(Number), message: { messageId: 2, from: OWNER, text: "Anna will answer soon", date: expect.any(Number) } }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    // The owner received the probe's message, not its own answer.
    const owner = await api("GET", `/${OWNER}/updates?timeout=0`);
    expect(owner.body.updates.map((u: any) => u.message)).toEqual([{ messageId: 1, from: PROBE, text: "nonce-42", date: expect.any(Number) }]);
  });

  it("when the backend is silent, then the long poll ends empty after its timeout", async () => {
    sandbox.world.updateBot("anna_bot", { backend: { replies: false } });
    await api("POST", `/${PROBE}/messages`, { peer: OWNER, text: "ping" });
    const started = Date.now();
    const r = await api("GET", `/${PROBE}/updates?timeout=0.3`);
    expect(r.body).toEqual({ updates: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("when polled with an offset, then only updates from that id on are returned, to every client alike", async () => {
    sandbox.world.updateBot("anna_bot", { backend: { replies: false } });
    for (const text of ["a", "b", "c"]) await api("POST", `/${OWNER}/messages`, { peer: PROBE, text });
    const all = (await api("GET", `/${PROBE}/updates`)).body.updates;
    expect(all.map((u: any) => u.message.text)).toEqual(["a", "b", "c"]);
    const ids = all.map((u: any) => u.updateId);
    expect(ids[1]).toBeGreaterThan(ids[0]);
    expect(ids[2]).toBeGreaterThan(ids[1]);
    const rest = (await api("GET", `/${PROBE}/updates?offset=${ids[1]}`)).body.updates;
    expect(rest.map((u: any) => u.message.text)).toEqual(["b", "c"]);
    // Reading confirms nothing: another client starting at 0 still sees everything.
    expect((await api("GET", `/${PROBE}/updates?offset=0`)).body.updates.map((u: any) => u.message.text)).toEqual(["a", "b", "c"]);
    const started = Date.now();
    expect((await api("GET", `/${PROBE}/updates?offset=${ids[2] + 1}&timeout=0.2`)).body.updates).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("when a long poll waits and a message arrives, then it returns at once with it", async () => {
    const poll = api("GET", `/${PROBE}/updates?timeout=10`);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    sandbox.world.sendAccountMessage(OWNER, PROBE, "hello probe");
    const r = await poll;
    expect(r.body.updates.map((u: any) => u.message)).toMatchObject([{ from: OWNER, text: "hello probe" }]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("when the timeout or offset is malformed, then 400; when the user is unknown, then 404", async () => {
    expect((await api("GET", `/${PROBE}/updates?timeout=-1`)).status).toBe(400);
    expect((await api("GET", `/${PROBE}/updates?offset=x`)).status).toBe(400);
    expect((await api("GET", `/999/updates`)).status).toBe(404);
    expect((await api("GET", `/abc/updates`)).status).toBe(404);
    expect((await api("POST", `/999/messages`, { peer: OWNER, text: "x" })).status).toBe(404);
    expect((await api("DELETE", `/999/chats/${OWNER}/messages`, { messageIds: [1] })).status).toBe(404);
    expect(await api("POST", `/${PROBE}/messages`, { peer: OWNER, txt: "x" })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/txt: unknown key/) } });
  });

  it("when the account deletes its messages, then they leave both sides and others' messages stay", async () => {
    sandbox.world.updateBot("anna_bot", { backend: { replies: false } });
    const a = (await api("POST", `/${PROBE}/messages`, { peer: OWNER, text: "a" })).body.messageId;
    const b = (await api("POST", `/${PROBE}/messages`, { peer: OWNER, text: "b" })).body.messageId;
    sandbox.world.sendAccountMessage(OWNER, PROBE, "from owner");
    const ownerMsg = sandbox.world.accountChat(PROBE, OWNER).find((m) => m.from === OWNER)!.messageId;
    const r = await api("DELETE", `/${PROBE}/chats/${OWNER}/messages`, { messageIds: [a, ownerMsg, 99] });
    expect(r).toEqual({ status: 200, body: { deleted: [a] } });
    expect(sandbox.world.accountChat(PROBE, OWNER).map((m) => m.text)).toEqual(["b", "from owner"]);
    expect(sandbox.world.accountChat(OWNER, PROBE).map((m) => m.text)).toEqual(["b", "from owner"]);
    expect(b).toBe(a + 1);
  });

  it("when the bot sends through its connection, then the probe receives it from the owner; when deleted, it is gone", async () => {
    const poll = api("GET", `/${PROBE}/updates?timeout=5`);
    const sent = await tg("sendMessage", { chat_id: PROBE, text: "<b>nonce-7</b>", parse_mode: "HTML", business_connection_id: "bc-anna" });
    expect(sent.ok).toBe(true);
    const got = (await poll).body.updates;
    expect(got.map((u: any) => u.message)).toMatchObject([{ from: OWNER, text: "nonce-7" }]);
    // The bot sees the owner's message id; the probe sees its own.
    expect(sandbox.world.accountChat(OWNER, PROBE)).toMatchObject([{ messageId: sent.result.message_id, from: OWNER, text: "nonce-7" }]);

    const del = await tg("deleteBusinessMessages", { business_connection_id: "bc-anna", message_ids: [sent.result.message_id] });
    expect(del).toEqual({ ok: true, result: true });
    expect(sandbox.world.accountChat(PROBE, OWNER)).toEqual([]);
    expect(sandbox.world.accountChat(OWNER, PROBE)).toEqual([]);
    expect((await api("GET", `/${PROBE}/updates`)).body.updates).toEqual([]);
  });

  it("when the business send is refused (not in scope), then nothing reaches the probe", async () => {
    sandbox.world.updateConnection("anna_bot", "bc-anna", { excludedChats: [PROBE] });
    const sent = await tg("sendMessage", { chat_id: PROBE, text: "x", business_connection_id: "bc-anna" });
    expect(sent.description).toBe("Bad Request: BUSINESS_PEER_INVALID");
    expect(sandbox.world.accountChat(PROBE, OWNER)).toEqual([]);
  });

  it("when a message comes in, then a chat with no recent inbound message is open to the bot", async () => {
    sandbox.world.updateConnection("anna_bot", "bc-anna", { recentInbound: [] });
    const before = await tg("sendChatAction", { chat_id: OTHER, action: "typing", business_connection_id: "bc-anna" });
    expect(before.description).toBe("Bad Request: BUSINESS_PEER_USAGE_MISSING");
    await api("POST", `/${OTHER}/messages`, { peer: OWNER, text: "hi" });
    expect(await tg("sendChatAction", { chat_id: OTHER, action: "typing", business_connection_id: "bc-anna" })).toEqual({ ok: true, result: true });
  });
});

describe("closing the sandbox", () => {
  it("when a long poll is waiting, then close() ends it promptly", async () => {
    const own = await startSandbox({ world: spec });
    const poll = fetch(`${own.url}/_sandbox/accounts/${PROBE}/updates?timeout=30`).then(
      async (r) => (await r.json()) as unknown,
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await own.close();
    await poll;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
