/** The sandbox TestAccount client against a real sandbox: expectations, timeouts, aborts, close, cleanup. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { createSandboxTestAccount } from "../../src/testaccount/sandbox.ts";
import type { SandboxTestAccount } from "../../src/testaccount/sandbox.ts";
import { TestAccountTimeout } from "../../src/testaccount/types.ts";

const ANNA = "7000001:anna-token";
const OWNER = 123456789;
const PROBE = 555000111;
const OTHER = 222;

const spec = parseWorld({
  users: [
    { id: OWNER, firstName: "Anna" },
    { id: PROBE, firstName: "Probe" },
    { id: OTHER, firstName: "Other" },
  ],
  bots: [
    {
      token: ANNA,
      username: "anna_bot",
      firstName: "Anna",
      webhook: { url: "https://bots.example.com/anna" },
      backend: { delayMs: 0, text: "auto-reply" },
      connections: [{ id: "bc-anna", userId: OWNER, rights: { can_reply: true, can_delete_sent_messages: true }, recentInbound: [PROBE] }],
    },
  ],
});

let sandbox: Sandbox;
let account: SandboxTestAccount;
beforeAll(async () => {
  sandbox = await startSandbox({ world: spec });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  sandbox.world.reset();
  account = createSandboxTestAccount({ sandboxUrl: `${sandbox.url}/`, userId: PROBE });
  await account.ready;
});
afterEach(async () => {
  await account.close();
});

async function botSend(text: string): Promise<number> {
  const res = await fetch(`${sandbox.url}/bot${ANNA}/sendMessage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ chat_id: PROBE, text, business_connection_id: "bc-anna" }),
  });
  const body = (await res.json()) as { ok: boolean; result: { message_id: number } };
  expect(body.ok).toBe(true);
  return body.result.message_id;
}

describe("createSandboxTestAccount", () => {
  it("when expect() is called before sending, then an immediate (0 ms) backend reply is caught", async () => {
    const wait = account.expect({ from: OWNER, timeoutMs: 2_000 });
    const { messageId } = await account.sendText(OWNER, "nonce-1");
    const reply = await wait.message;
    expect(reply).toMatchObject({ from: OWNER, text: "auto-reply", messageId: messageId + 1 });
    expect(reply.date).toBeInstanceOf(Date);
    expect(Math.abs(reply.date.getTime() - Date.now())).toBeLessThan(5_000);
  });

  it("when messages arrive, then only one from the expected sender that matches resolves the expectation", async () => {
    sandbox.world.updateBot("anna_bot", { backend: { replies: false } });
    const wait = account.expect({ from: OWNER, match: (m) => m.text.includes("nonce-9"), timeoutMs: 2_000 });
    sandbox.world.sendAccountMessage(OTHER, PROBE, "nonce-9 from someone else");
    await botSend("nonce-8");
    await botSend("the nonce-9 message");
    expect((await wait.message).text).toBe("the nonce-9 message");
  });

  it("when the message came before the client started, then it is history and does not match", async () => {
    await account.close();
    await botSend("old nonce-5");
    const late = createSandboxTestAccount({ sandboxUrl: sandbox.url, userId: PROBE, pollTimeoutSeconds: 1 });
    try {
      await late.ready;
      const wait = late.expect({ from: OWNER, timeoutMs: 300 });
      await expect(wait.message).rejects.toBeInstanceOf(TestAccountTimeout);
    } finally {
      await late.close();
    }
  });

  it("when the backend is silent, then expect() rejects with TestAccountTimeout after timeoutMs", async () => {
    sandbox.world.updateBot("anna_bot", { backend: { replies: false } });
    const started = Date.now();
    const wait = account.expect({ from: OWNER, timeoutMs: 250 });
    await account.sendText(OWNER, "ping");
    await expect(wait.message).rejects.toBeInstanceOf(TestAccountTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("when the signal aborts, then expect() rejects with the abort reason at once", async () => {
    const ctl = new AbortController();
    const wait = account.expect({ from: OWNER, timeoutMs: 10_000, signal: ctl.signal });
    const started = Date.now();
    ctl.abort(new Error("sweep cancelled"));
    await expect(wait.message).rejects.toThrow("sweep cancelled");
    expect(Date.now() - started).toBeLessThan(500);
    await expect(account.expect({ from: OWNER, timeoutMs: 10_000, signal: ctl.signal }).message).rejects.toThrow("sweep cancelled");
  });

  it("when an expectation is cancelled, then its promise rejects with an AbortError", async () => {
    const wait = account.expect({ from: OWNER, timeoutMs: 10_000 });
    wait.cancel();
    await expect(wait.message).rejects.toMatchObject({ name: "AbortError" });
  });

  it("when the account is closed, then pending expectations reject promptly and later calls fail", async () => {
    const wait = account.expect({ from: OWNER, timeoutMs: 10_000 });
    const started = Date.now();
    await account.close();
    await expect(wait.message).rejects.toThrow("test account closed");
    expect(Date.now() - started).toBeLessThan(500);
    await expect(account.sendText(OWNER, "x")).rejects.toThrow("test account closed");
    await expect(account.expect({ from: OWNER, timeoutMs: 10 }).message).rejects.toThrow("test account closed");
  });

  it("when the account deletes its probe, then it is gone from both sides of the chat", async () => {
    sandbox.world.updateBot("anna_bot", { backend: { replies: false } });
    const { messageId } = await account.sendText(OWNER, "nonce-3");
    expect(sandbox.world.accountChat(OWNER, PROBE).map((m) => m.text)).toEqual(["nonce-3"]);
    await account.deleteMessages(OWNER, [messageId]);
    expect(sandbox.world.accountChat(PROBE, OWNER)).toEqual([]);
    expect(sandbox.world.accountChat(OWNER, PROBE)).toEqual([]);
  });

  it("when the bot sends outbound and deletes it, then the account receives it and the chat is then empty", async () => {
    const wait = account.expect({ from: OWNER, match: (m) => m.text === "outbound nonce-4", timeoutMs: 2_000 });
    const botMessageId = await botSend("outbound nonce-4");
    await wait.message;
    const res = await fetch(`${sandbox.url}/bot${ANNA}/deleteBusinessMessages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ business_connection_id: "bc-anna", message_ids: [botMessageId] }),
    });
    expect(res.status).toBe(200);
    expect(sandbox.world.accountChat(PROBE, OWNER)).toEqual([]);
  });

  it("when the user is unknown to the sandbox, then sendText fails naming it", async () => {
    const ghost = createSandboxTestAccount({ sandboxUrl: sandbox.url, userId: 999, retryDelayMs: 50 });
    try {
      await expect(ghost.sendText(OWNER, "x")).rejects.toThrow("404 no user with id 999");
    } finally {
      await ghost.close();
    }
  });
});
