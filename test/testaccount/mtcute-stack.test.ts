/**
 * The mtcute test account on mtcute's own stack: @mtcute/node's TelegramClient over @mtcute/test's
 * StubTelegramClient, with Telegram scripted at the TL level (test/support/mtcute-telegram.ts). What the
 * adapter asks of mtcute (session import, getMe, the updates loop, peer resolution, sendText,
 * deleteMessagesById, onNewMessage) is what mtcute really does with it, down to the RPCs it makes.
 * The live test runs through the round-trip check itself, its Bot API side on the sandbox over loopback.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import type { MonitoredBot } from "../../src/model.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { startSandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { BotClient } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { createMtcuteTestAccount } from "../../src/testaccount/mtcute.ts";
import { TestAccountTimeout, type TestAccount } from "../../src/testaccount/types.ts";
import { startBotApiRecorder } from "../support/bot-api-recorder.ts";
import { mtcuteTelegram, SELF, sessionString, type MtcuteTelegram, type MtcuteTelegramOptions, type Owner } from "../support/mtcute-telegram.ts";
import { rejection } from "../support/rejection.ts";

const OWNER = 5_000_001;
const STRANGER = 5_000_002;
const API_HASH = "0123456789abcdef0123456789abcdef";

const opened: TestAccount[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close()));
});

async function account(owners: Owner[] = [{ id: OWNER }, { id: STRANGER }], options: MtcuteTelegramOptions = {}): Promise<{ acc: TestAccount; tg: MtcuteTelegram }> {
  const tg = await mtcuteTelegram(owners, options);
  const acc = await createMtcuteTestAccount({ session: sessionString(), apiId: 12345, apiHash: API_HASH, environment: "prod", client: tg.client });
  opened.push(acc);
  await tg.updatesFlowing();
  return { acc, tg };
}

describe("mtcute test account on mtcute's stack: logging in", () => {
  it("when the session is authorised, then getMe asks users.getUsers for inputUserSelf, userId is the account's and the updates loop starts (updates.getState)", async () => {
    const { acc, tg } = await account();
    expect(acc.userId).toBe(SELF);
    expect(tg.named("users.getUsers")[0]?.id).toEqual([{ _: "inputUserSelf" }]);
    expect(tg.named("updates.getState")).toHaveLength(1);
    expect((await tg.client.storage.self.fetch())?.userId).toBe(SELF);
  });

  it("when Telegram does not know the session's auth key, then the error names testAccount.session and the RPC error, hides the session, and the client is destroyed", async () => {
    const tg = await mtcuteTelegram([{ id: OWNER }]);
    tg.unauthorised = "AUTH_KEY_UNREGISTERED";
    const session = sessionString();
    const err = await rejection(createMtcuteTestAccount({ session, apiId: 12345, apiHash: API_HASH, environment: "prod", client: tg.client }), Error);
    expect(err.message).toMatch(/^testAccount\.session: Telegram no longer accepts this session \(AUTH_KEY_UNREGISTERED\); run `secretary-watch login`/);
    expect(err.message).not.toContain(session);
    expect(tg.named("updates.getState")).toHaveLength(0);
    expect(tg.stub.destroyed).toBe(true);
  });

  it("when the session is not a session string, then nothing reaches Telegram and the error names testAccount.session without the string", async () => {
    const tg = await mtcuteTelegram([{ id: OWNER }]);
    const bad = "not-a-session-string-but-a-secret-looking-thing";
    const err = await rejection(createMtcuteTestAccount({ session: bad, apiId: 12345, apiHash: API_HASH, environment: "prod", client: tg.client }), Error);
    expect(err.message).toMatch(/^testAccount\.session: not a valid session string/);
    expect(err.message).not.toContain(bad);
    expect(tg.calls).toEqual([]);
    await tg.client.destroy();
  });

  it("when Telegram never answers getMe, then the login gives up after connectTimeoutMs, not blaming the session, and the client is destroyed", async () => {
    const tg = await mtcuteTelegram([{ id: OWNER }], { unanswered: ["users.getUsers"] });
    const login = createMtcuteTestAccount({ session: sessionString(), apiId: 12345, apiHash: API_HASH, environment: "prod", client: tg.client, connectTimeoutMs: 1_000 });
    expect((await rejection(login, Error)).message).toBe("test account: could not log in to Telegram: Telegram did not answer within 1 s");
    expect(tg.stub.destroyed).toBe(true);
  });
});

describe("mtcute test account on mtcute's stack: messages", () => {
  it("when Telegram pushes messages, then only the matching private message from the right user resolves, with its id, sender, text and date", async () => {
    const { acc, tg } = await account();
    const exp = acc.expect({ from: OWNER, match: (m) => m.text.includes("nonce 7"), timeoutMs: 5_000 });
    tg.deliver(STRANGER, "nonce 7"); // another user
    tg.deliver(OWNER, "unrelated");
    const id = tg.deliver(OWNER, "reply: nonce 7");
    const got = await exp.message;
    expect(got).toMatchObject({ messageId: id, from: OWNER, text: "reply: nonce 7" });
    expect(got.date).toBeInstanceOf(Date);
    expect(tg.client.onNewMessage.length).toBe(0);
  });

  it("when the match predicate throws, then that message is ignored and the next one can still match", async () => {
    const { acc, tg } = await account();
    const exp = acc.expect({
      from: OWNER,
      match: (m) => {
        if (m.text === "boom") throw new Error("bad predicate");
        return true;
      },
      timeoutMs: 5_000,
    });
    tg.deliver(OWNER, "boom");
    const id = tg.deliver(OWNER, "fine");
    expect((await exp.message).messageId).toBe(id);
  });

  it("when the signal aborts, or was aborted already, then it rejects at once with the reason (not a timeout) and stops listening", async () => {
    const { acc, tg } = await account();
    const ac = new AbortController();
    const exp = acc.expect({ from: OWNER, timeoutMs: 60_000, signal: ac.signal });
    ac.abort(new Error("sweep stopped"));
    const err = await rejection(exp.message, Error);
    expect(err).not.toBeInstanceOf(TestAccountTimeout);
    expect(err.message).toBe("sweep stopped");
    await expect(acc.expect({ from: OWNER, timeoutMs: 60_000, signal: AbortSignal.abort() }).message).rejects.toMatchObject({ name: "AbortError" });
    expect(tg.client.onNewMessage.length).toBe(0);
  });

  it("when cancelled before anyone awaits it, then it stops listening and there is no unhandled rejection", async () => {
    const { acc, tg } = await account();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const exp = acc.expect({ from: OWNER, timeoutMs: 60_000 });
      exp.cancel();
      await new Promise((r) => setTimeout(r, 20));
      expect(tg.client.onNewMessage.length).toBe(0);
      expect(unhandled).toEqual([]);
      await expect(exp.message).rejects.toMatchObject({ name: "AbortError" });
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("when sending text to a bare user id and deleting it, then mtcute resolves the id with Telegram (users.getUsers, no warm-up), sends messages.sendMessage to its input peer and messages.deleteMessages with revoke", async () => {
    const { acc, tg } = await account([{ id: OWNER, answers: false }]);
    const sent = await acc.sendText(OWNER, "nonce 1");
    expect(tg.named("users.getUsers").at(-1)?.id).toEqual([expect.objectContaining({ _: "inputUser", userId: OWNER })]);
    expect(tg.named("contacts.getContacts")).toEqual([]);
    const [request] = tg.named("messages.sendMessage");
    expect(request).toMatchObject({ peer: { _: "inputPeerUser", userId: OWNER }, message: "nonce 1" });
    await acc.deleteMessages(OWNER, [sent.messageId]);
    expect(tg.named("messages.deleteMessages")).toEqual([expect.objectContaining({ id: [sent.messageId], revoke: true })]);
  });

  it("when nothing matching arrives in time, then it rejects with TestAccountTimeout", async () => {
    const { acc, tg } = await account();
    const exp = acc.expect({ from: OWNER, timeoutMs: 50 });
    tg.deliver(STRANGER, "hello");
    expect((await rejection(exp.message, TestAccountTimeout)).message).toContain(String(OWNER));
  });

  it("when the owner's id resolves to nothing (no access hash, not a contact, no dialog), then each call asks contacts and dialogs once and the error says how to make it reachable; nothing is sent or deleted", async () => {
    const { acc, tg } = await account([{ id: OWNER, reachable: false }]);
    await expect(acc.sendText(OWNER, "nonce")).rejects.toThrow(`test account cannot address user ${OWNER}: Telegram gave no access to that user. Open a chat with the profile`);
    await expect(acc.deleteMessages(OWNER, [1])).rejects.toThrow(/Open a chat with the profile/);
    expect(tg.named("contacts.getContacts")).toHaveLength(2);
    expect(tg.named("messages.sendMessage")).toEqual([]);
    expect(tg.named("messages.deleteMessages")).toEqual([]);
  });

  it("when the owner is only among the account's dialogs, then the dialogs fill mtcute's peer cache once and the send goes through", async () => {
    const { acc, tg } = await account([{ id: OWNER, reachable: false, inDialogs: true, answers: false }]);
    await acc.sendText(OWNER, "nonce 2");
    const warmUp = tg.calls.length;
    await acc.sendText(OWNER, "nonce 3");
    expect(tg.named("contacts.getContacts")).toHaveLength(1);
    expect(tg.calls.slice(warmUp).map((c) => c._)).toEqual(["messages.sendMessage"]);
    expect(tg.named("messages.sendMessage").map((r) => r.message)).toEqual(["nonce 2", "nonce 3"]);
  });

  it("when closed, then pending expectations reject, nothing listens any more, the client is destroyed and further use fails", async () => {
    const { acc, tg } = await account();
    const exp1 = acc.expect({ from: OWNER, timeoutMs: 60_000 });
    const exp2 = acc.expect({ from: STRANGER, timeoutMs: 60_000 });
    await acc.close();
    await expect(exp1.message).rejects.toThrow("test account closed");
    await expect(exp2.message).rejects.toThrow("test account closed");
    expect(tg.client.onNewMessage.length).toBe(0);
    expect(tg.stub.destroyed).toBe(true);
    await expect(acc.expect({ from: OWNER, timeoutMs: 1_000 }).message).rejects.toThrow(/closed/);
    await expect(acc.sendText(OWNER, "x")).rejects.toThrow(/closed/);
  });
});

// ---------------------------------------------------------------------------------------------
// the round-trip check, on the sandbox's Bot API and the mtcute test account

const ANNA = { token: "7000001:mtcute-anna-Xk2v9", username: "anna_secretary_bot", connection: "bc-anna" };
const RIGHTS = {
  can_reply: true, can_read_messages: true, can_delete_sent_messages: true, can_view_gifts_and_stars: true,
  can_convert_gifts_to_stars: true, can_transfer_and_upgrade_gifts: true, can_transfer_stars: true,
};
const world = parseWorld({
  users: [{ id: OWNER, firstName: "Anna" }, { id: SELF, firstName: "Test account" }],
  bots: [{ token: ANNA.token, username: ANNA.username, firstName: "Anna Secretary", webhook: { url: "https://bots.example.com/anna" }, connections: [{ id: ANNA.connection, userId: OWNER, rights: RIGHTS, recentInbound: [SELF] }] }],
});

/**
 * One sweep of anna with the live test in `mode`. When `delivers`, Telegram passes the bot's business
 * message on to the test account: from the owner, as a customer sees it.
 */
async function liveTest(mode: "reply" | "outbound", owner: Owner, delivers = true) {
  const { acc, tg } = await account([owner]);
  const sandbox = await startSandbox({ world });
  const recorder = await startBotApiRecorder(sandbox.url, (e) => {
    if (delivers && e.method === "sendMessage" && e.status === 200 && e.params.chat_id === SELF) tg.deliver(OWNER, String(e.params.text));
  });
  const transport = createTransport();
  try {
    const options: Record<string, Record<string, unknown>> = { "round-trip": { enabled: true, mode, timeout: "1s" } };
    const bot: MonitoredBot = {
      name: "anna", token: ANNA.token, username: ANNA.username, ownerId: OWNER, businessConnectionId: ANNA.connection, probeChats: [SELF], labels: {},
      checks: Object.fromEntries(CHECKS.map((c) => [c.id, c.options.parse(options[c.id] ?? {})])),
    };
    const client = new BotClient(bot.token, { apiRoot: recorder.url, environment: "prod", timeoutMs: 2000 }, transport, () => undefined);
    const status = await runSweep({ bot, checks: CHECKS, client, includeOwnSchedule: true, testAccount: acc });
    return { result: status.checks.find((c) => c.check === "round-trip"), tg, botApi: recorder.exchanges.map((e) => `${e.method} ${e.status}`) };
  } finally {
    transport.close();
    await recorder.close();
    await sandbox.close();
  }
}

describe("the round-trip check with the mtcute test account", () => {
  it("when in reply mode the profile answers, then the check is ok, and the account's nonce is deleted for both sides", async () => {
    const { result, tg } = await liveTest("reply", { id: OWNER });
    expect(result).toMatchObject({ status: "ok", message: expect.stringMatching(/^reply in \d/) });
    const [sent] = tg.named("messages.sendMessage");
    expect(sent?.message).toMatch(/^secretary-watch round-trip [0-9a-f]{12}$/);
    expect(tg.named("messages.deleteMessages")).toEqual([expect.objectContaining({ revoke: true })]);
  });

  it("when in reply mode the profile never answers, then the check fails after its timeout with the guide's remedy, and the nonce is still deleted", async () => {
    const { result, tg } = await liveTest("reply", { id: OWNER, answers: false });
    expect(result).toMatchObject({ status: "fail", message: "the Secretary connection looks fine, but no reply came from the profile within 1 s of a message from the test account" });
    expect(tg.named("messages.deleteMessages")).toHaveLength(1);
  });

  it("when in outbound mode Telegram delivers the bot's message, then the check is ok and the bot deletes it (deleteBusinessMessages)", async () => {
    const { result, tg, botApi } = await liveTest("outbound", { id: OWNER });
    expect(result).toMatchObject({ status: "ok", message: expect.stringMatching(/^outbound in \d/) });
    expect(botApi).toEqual(expect.arrayContaining(["sendMessage 200", "deleteBusinessMessages 200"]));
    expect(tg.named("messages.sendMessage")).toEqual([]);
  });

  it("when in outbound mode the message never reaches the test account, then the check fails after its timeout", async () => {
    const { result } = await liveTest("outbound", { id: OWNER }, false);
    expect(result).toMatchObject({ status: "fail", message: "Telegram accepted the message, but the test account did not receive it within 1 s" });
  });

  it("when the owner cannot be resolved, then the live test does not pass and says how to make the owner reachable", async () => {
    const { result, tg } = await liveTest("reply", { id: OWNER, reachable: false });
    expect(result?.status).not.toBe("ok");
    expect(result?.message).toContain(`test account cannot address user ${OWNER}`);
    expect(tg.named("messages.sendMessage")).toEqual([]);
  });
});
