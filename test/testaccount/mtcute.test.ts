/**
 * The mtcute test account and `login`, tested at the seam: a fake client stands in for mtcute's
 * TelegramClient, so nothing here connects to Telegram.
 */
import { randomBytes } from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import { MtPeerNotFoundError, tl } from "@mtcute/node";
import { defaultProductionDc, defaultTestDc, writeStringSession } from "@mtcute/node/utils.js";
import { describe, expect, it } from "vitest";
import { loginCommand, type LoginClient } from "../../src/cli/login-command.ts";
import { UsageError } from "../../src/cli/check-command.ts";
import { createMtcuteClient, createMtcuteTestAccount, type MtcuteClient, type MtcuteMessage } from "../../src/testaccount/mtcute.ts";
import { TestAccountTimeout } from "../../src/testaccount/types.ts";
import { rejection } from "../support/rejection.ts";

const OWNER = 5_000_001;
const SELF = 6_000_001;
const API_HASH = "0123456789abcdef0123456789abcdef";

function session(environment: "prod" | "test" = "prod"): string {
  return writeStringSession({
    version: 3,
    primaryDcs: environment === "test" ? defaultTestDc : defaultProductionDc,
    self: { userId: SELF, isBot: false, isPremium: false, usernames: [] },
    authKey: randomBytes(256),
  });
}

class FakeClient implements MtcuteClient {
  readonly listeners = new Set<(m: MtcuteMessage) => void>();
  readonly onNewMessage = { add: (l: (m: MtcuteMessage) => void) => this.listeners.add(l), remove: (l: (m: MtcuteMessage) => void) => this.listeners.delete(l) };
  readonly imported: string[] = [];
  readonly sent: Array<{ chatId: number; text: string }> = [];
  readonly deleted: Array<{ chatId: number; ids: number[]; params: unknown }> = [];
  getMeError: unknown;
  loggedIn = false;
  destroyed = false;
  /** Peers with an access hash; undefined = every peer resolves. */
  knownPeers: Set<number> | undefined;
  /** Peers the contacts / dialogs warm-up makes known. */
  peersFromDialogs: number[] = [];
  warmups = 0;
  #nextId = 100;

  async importSession(s: string): Promise<void> {
    this.imported.push(s);
  }
  async getMe() {
    if (this.getMeError) throw this.getMeError;
    return { id: SELF, raw: { _: "user", id: SELF } as tl.RawUser };
  }
  async notifyLoggedIn(): Promise<void> {
    this.loggedIn = true;
  }
  #resolve(chatId: number) {
    if (this.knownPeers && !this.knownPeers.has(chatId)) throw new MtPeerNotFoundError(`Peer ${chatId} is not found in local cache`);
  }
  async sendText(chatId: number, text: string) {
    this.#resolve(chatId);
    this.sent.push({ chatId, text });
    return { id: this.#nextId++ };
  }
  async deleteMessagesById(chatId: number, ids: number[], params?: { revoke?: boolean }) {
    this.#resolve(chatId);
    this.deleted.push({ chatId, ids, params });
  }
  async getContacts() {
    this.warmups++;
    return [];
  }
  async *iterDialogs() {
    for (const id of this.peersFromDialogs) {
      this.knownPeers?.add(id);
      yield { id };
    }
  }
  async destroy() {
    this.destroyed = true;
  }
  emit(m: Partial<MtcuteMessage> & { from?: number; chatType?: string }) {
    const from = m.from ?? OWNER;
    const message: MtcuteMessage = {
      id: m.id ?? 1,
      isOutgoing: m.isOutgoing ?? false,
      chat: { type: m.chatType ?? "user", id: from },
      sender: { id: from },
      text: m.text ?? "hello",
      date: m.date ?? new Date(0),
    };
    for (const l of [...this.listeners]) l(message);
  }
}

async function account(client = new FakeClient()) {
  const acc = await createMtcuteTestAccount({ session: session(), apiId: 12345, apiHash: API_HASH, environment: "prod", client });
  return { acc, client };
}

describe("mtcute test account: session import", () => {
  it("when the session is valid, then it is imported, userId comes from getMe and updates are started", async () => {
    const client = new FakeClient();
    const s = session();
    const acc = await createMtcuteTestAccount({ session: s, apiId: 12345, apiHash: API_HASH, environment: "prod", client });
    expect(acc.userId).toBe(SELF);
    expect(client.imported).toEqual([s]);
    expect(client.loggedIn).toBe(true);
  });

  it("when the session is not a session string, then the error names testAccount.session and does not contain it", async () => {
    const client = new FakeClient();
    const bad = "not-a-session-string-but-a-secret-looking-thing";
    const err = await rejection(createMtcuteTestAccount({ session: bad, apiId: 12345, apiHash: API_HASH, environment: "prod", client }), Error);
    expect(err.message).toContain("testAccount.session");
    expect(err.message).not.toContain(bad);
    expect(client.imported).toEqual([]);
  });

  it("when Telegram no longer accepts the session, then the error names testAccount.session, says to log in again, and the client is destroyed", async () => {
    const client = new FakeClient();
    client.getMeError = new tl.RpcError(401, "AUTH_KEY_UNREGISTERED");
    const s = session();
    const err = await rejection(createMtcuteTestAccount({ session: s, apiId: 12345, apiHash: API_HASH, environment: "prod", client }), Error);
    expect(err.message).toMatch(/testAccount\.session.*AUTH_KEY_UNREGISTERED.*secretary-watch login/);
    expect(err.message).not.toContain(s);
    expect(client.destroyed).toBe(true);
  });

  it("when getMe fails for another reason, then the error is not blamed on the session and the client is destroyed", async () => {
    const client = new FakeClient();
    client.getMeError = new Error("connection refused");
    const err = await rejection(createMtcuteTestAccount({ session: session(), apiId: 12345, apiHash: API_HASH, environment: "prod", client }), Error);
    expect(err.message).toBe("test account: could not log in to Telegram: connection refused");
    expect(client.destroyed).toBe(true);
  });

  it("when the session was made for the test environment but the config says prod, then the error names both", async () => {
    const err = await rejection(
      createMtcuteTestAccount({ session: session("test"), apiId: 12345, apiHash: API_HASH, environment: "prod", client: new FakeClient() }),
      Error,
    );
    expect(err.message).toMatch(/testAccount\.session: made for Telegram's test environment, but telegram\.environment is prod/);
  });

  it("when apiId or apiHash is missing, then the error names the key", async () => {
    const client = new FakeClient();
    await expect(createMtcuteTestAccount({ session: session(), apiId: 0, apiHash: API_HASH, environment: "prod", client })).rejects.toThrow(/testAccount\.apiId/);
    await expect(createMtcuteTestAccount({ session: session(), apiId: 1, apiHash: "", environment: "prod", client })).rejects.toThrow(/testAccount\.apiHash/);
  });
});

describe("mtcute test account: expect", () => {
  it("when messages arrive, then only an incoming private message from the right user with matching text resolves", async () => {
    const { acc, client } = await account();
    const nonce = "round-trip 9f3a";
    const exp = acc.expect({ from: OWNER, match: (m) => m.text.includes(nonce), timeoutMs: 5_000 });
    client.emit({ id: 1, from: OWNER + 1, text: nonce }); // another user
    client.emit({ id: 2, text: "unrelated" }); // no nonce
    client.emit({ id: 3, text: nonce, isOutgoing: true }); // our own message
    client.emit({ id: 4, text: nonce, chatType: "chat" }); // a group
    client.emit({ id: 5, text: `reply: ${nonce}`, date: new Date(1_000) });
    client.emit({ id: 6, text: nonce }); // after the first match
    await expect(exp.message).resolves.toEqual({ messageId: 5, from: OWNER, text: `reply: ${nonce}`, date: new Date(1_000) });
    expect(client.listeners.size).toBe(0);
  });

  it("when the match predicate throws, then that message is ignored and the next one can still match", async () => {
    const { acc, client } = await account();
    const exp = acc.expect({
      from: OWNER,
      match: (m) => {
        if (m.text === "boom") throw new Error("bad predicate");
        return true;
      },
      timeoutMs: 5_000,
    });
    client.emit({ id: 1, text: "boom" });
    client.emit({ id: 2, text: "fine" });
    expect((await exp.message).messageId).toBe(2);
  });

  it("when nothing matching arrives in time, then it rejects with TestAccountTimeout and removes its listener", async () => {
    const { acc, client } = await account();
    const exp = acc.expect({ from: OWNER, timeoutMs: 30 });
    expect(client.listeners.size).toBe(1);
    client.emit({ from: OWNER + 1 });
    const err = await rejection(exp.message, TestAccountTimeout);
    expect(err.message).toContain(String(OWNER));
    expect(client.listeners.size).toBe(0);
  });

  it("when the signal aborts, then it rejects at once (not a timeout) and removes its listener", async () => {
    const { acc, client } = await account();
    const ac = new AbortController();
    const exp = acc.expect({ from: OWNER, timeoutMs: 60_000, signal: ac.signal });
    ac.abort(new Error("sweep stopped"));
    const err = await rejection(exp.message, Error);
    expect(err).not.toBeInstanceOf(TestAccountTimeout);
    expect(err.message).toBe("sweep stopped");
    expect(client.listeners.size).toBe(0);
  });

  it("when the signal is already aborted, then it rejects without subscribing", async () => {
    const { acc, client } = await account();
    const exp = acc.expect({ from: OWNER, timeoutMs: 60_000, signal: AbortSignal.abort() });
    await expect(exp.message).rejects.toMatchObject({ name: "AbortError" });
    expect(client.listeners.size).toBe(0);
  });

  it("when cancelled before anyone awaits it, then the listener is gone and there is no unhandled rejection", async () => {
    const { acc, client } = await account();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const exp = acc.expect({ from: OWNER, timeoutMs: 60_000 });
      exp.cancel();
      await new Promise((r) => setTimeout(r, 20));
      expect(client.listeners.size).toBe(0);
      expect(unhandled).toEqual([]);
      await expect(exp.message).rejects.toMatchObject({ name: "AbortError" });
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("mtcute test account: sending, deleting, closing", () => {
  it("when sending text, then it goes to the peer and the message id comes back", async () => {
    const { acc, client } = await account();
    await expect(acc.sendText(OWNER, "nonce 1")).resolves.toEqual({ messageId: 100 });
    expect(client.sent).toEqual([{ chatId: OWNER, text: "nonce 1" }]);
  });

  it("when deleting messages, then they are deleted for both sides (revoke)", async () => {
    const { acc, client } = await account();
    await acc.deleteMessages(OWNER, [100, 101]);
    expect(client.deleted).toEqual([{ chatId: OWNER, ids: [100, 101], params: { revoke: true } }]);
  });

  it("when the peer is not in the empty cache yet, then contacts and dialogs are loaded once and the send is retried", async () => {
    const client = new FakeClient();
    client.knownPeers = new Set();
    client.peersFromDialogs = [OWNER];
    const { acc } = await account(client);
    await expect(acc.sendText(OWNER, "nonce 2")).resolves.toEqual({ messageId: 100 });
    expect(client.warmups).toBe(1);
    await acc.sendText(OWNER, "nonce 3");
    expect(client.warmups).toBe(1);
  });

  it("when the peer stays unknown, then the error says how to make it reachable", async () => {
    const client = new FakeClient();
    client.knownPeers = new Set();
    const { acc } = await account(client);
    await expect(acc.sendText(OWNER, "nonce")).rejects.toThrow(`test account cannot address user ${OWNER}`);
    await expect(acc.deleteMessages(OWNER, [1])).rejects.toThrow(/Open a chat with the profile/);
  });

  it("when closed, then pending expectations reject, listeners are removed, the client is destroyed and further use fails", async () => {
    const { acc, client } = await account();
    const exp1 = acc.expect({ from: OWNER, timeoutMs: 60_000 });
    const exp2 = acc.expect({ from: OWNER + 1, timeoutMs: 60_000 });
    await acc.close();
    await expect(exp1.message).rejects.toThrow("test account closed");
    await expect(exp2.message).rejects.toThrow("test account closed");
    expect(client.listeners.size).toBe(0);
    expect(client.destroyed).toBe(true);
    await expect(acc.expect({ from: OWNER, timeoutMs: 1_000 }).message).rejects.toThrow(/closed/);
    await expect(acc.sendText(OWNER, "x")).rejects.toThrow(/closed/);
    expect(client.listeners.size).toBe(0);
  });
});

describe("createMtcuteClient", () => {
  it("when mtcute logs, then the line goes to the given sink (not stdout) with secrets masked", async () => {
    const lines: Array<[string, string]> = [];
    const client = createMtcuteClient({ apiId: 12345, apiHash: API_HASH, environment: "test", log: (level, message) => lines.push([level, message]) });
    try {
      const writes: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stdout.write;
      try {
        client.log.warn("dc %d unreachable with %s", 2, API_HASH);
      } finally {
        process.stdout.write = write;
      }
      expect(writes).toEqual([]);
    } finally {
      await client.destroy();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]?.[0]).toBe("warn");
    expect(lines[0]?.[1]).toMatch(/dc 2 unreachable with \*\*\*\*/);
  });
});

// ---------------------------------------------------------------------------------------------
// login

/** A terminal whose user answers each prompt when it appears on stderr, in order. */
function scriptedTerminal(script: Array<[prompt: string, keys: string]>) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  let err = "";
  let out = "";
  let consumed = 0;
  let step = 0;
  const stderr = new Writable({
    write(chunk, _enc, cb) {
      err += String(chunk);
      const next = script[step];
      if (next) {
        const at = err.indexOf(next[0], consumed);
        if (at >= 0) {
          consumed = at + next[0].length;
          step++;
          setImmediate(() => stdin.write(next[1]));
        }
      }
      cb();
    },
  });
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { stdin, stdout, stderr, err: () => err, out: () => out };
}

type StartParams = Parameters<LoginClient["start"]>[0];

class FakeLoginClient implements LoginClient {
  readonly got: { phone?: string; codes: string[]; password?: string } = { codes: [] };
  destroyed = false;
  readonly flow: (p: StartParams, got: FakeLoginClient["got"]) => Promise<void>;
  constructor(flow: (p: StartParams, got: FakeLoginClient["got"]) => Promise<void>) {
    this.flow = flow;
  }
  async start(p: StartParams) {
    await this.flow(p, this.got);
    return { id: SELF, displayName: "Tess Tester" };
  }
  async exportSession() {
    return "EXPORTED-SESSION-STRING";
  }
  async destroy() {
    this.destroyed = true;
  }
}

/** mtcute's order: phone, code sent, code (retried when wrong), then the 2FA password. */
const twoFactorFlow = async (p: StartParams, got: FakeLoginClient["got"]) => {
  got.phone = await p.phone();
  p.codeSentCallback({ type: "app" });
  got.codes.push(await p.code());
  if (got.codes[0] !== "24680") {
    p.invalidCodeCallback("code");
    got.codes.push(await p.code());
  }
  got.password = await p.password();
};

describe("login", () => {
  const args = ["--api-id", "12345", "--api-hash", API_HASH];

  it("when the user types phone, a wrong then right code and the 2FA password, then stdout is only the session and code and password are never echoed", async () => {
    const term = scriptedTerminal([
      ["Phone number", "+15551234567\r"],
      ["Login code", "13579\r"],
      ["Login code", "24680\r"],
      ["2FA password", "correct-horse-battery\r"],
    ]);
    const client = new FakeLoginClient(twoFactorFlow);
    const created: unknown[] = [];
    const code = await loginCommand([...args, "--test"], {
      ...term,
      env: {},
      createClient: (o) => {
        created.push(o);
        return client;
      },
    });
    expect(code).toBe(0);
    expect(created).toEqual([{ apiId: 12345, apiHash: API_HASH, environment: "test" }]);
    expect(client.got).toEqual({ phone: "+15551234567", codes: ["13579", "24680"], password: "correct-horse-battery" });
    expect(term.out()).toBe("EXPORTED-SESSION-STRING\n");
    const err = term.err();
    expect(err).toContain("+15551234567"); // the phone is echoed: echo works where it should
    expect(err).toContain("Wrong login code");
    expect(err).toContain("TEST_ACCOUNT_SESSION");
    for (const secret of ["13579", "24680", "correct-horse-battery"]) {
      expect(err).not.toContain(secret);
      expect(term.out()).not.toContain(secret);
    }
    expect(client.destroyed).toBe(true);
  });

  it("when api id and hash come from the environment, then they are used", async () => {
    const term = scriptedTerminal([
      ["Phone number", "+15550000000\r"],
      ["Login code", "11111\r"],
    ]);
    const created: unknown[] = [];
    const code = await loginCommand([], {
      ...term,
      env: { TEST_ACCOUNT_API_ID: "777", TEST_ACCOUNT_API_HASH: "env-hash-value" },
      createClient: (o) => {
        created.push(o);
        return new FakeLoginClient(async (p, got) => {
          got.phone = await p.phone();
          got.codes.push(await p.code());
        });
      },
    });
    expect(code).toBe(0);
    expect(created).toEqual([{ apiId: 777, apiHash: "env-hash-value", environment: "prod" }]);
  });

  it("when stdin is not a terminal, then it exits 2 with a clear message and never creates a client", async () => {
    const term = scriptedTerminal([]);
    term.stdin.isTTY = false;
    let created = false;
    const code = await loginCommand(args, {
      ...term,
      env: {},
      createClient: () => {
        created = true;
        return new FakeLoginClient(async () => undefined);
      },
    });
    expect(code).toBe(2);
    expect(term.err()).toContain("stdin is not a terminal");
    expect(term.out()).toBe("");
    expect(created).toBe(false);
  });

  it("when no api id is given, then it is a usage error naming the flag and the variable", async () => {
    const term = scriptedTerminal([]);
    await expect(loginCommand([], { ...term, env: {}, createClient: () => new FakeLoginClient(async () => undefined) })).rejects.toThrow(UsageError);
    await expect(loginCommand(["--api-id", "abc", "--api-hash", "h"], { ...term, env: {} })).rejects.toThrow(/--api-id: expected the numeric api_id/);
    await expect(loginCommand(["--api-id", "5"], { ...term, env: {} })).rejects.toThrow(/TEST_ACCOUNT_API_HASH/);
  });

  it("when Telegram refuses, then it exits 1 with the reason on stderr, secrets masked, and nothing on stdout", async () => {
    const term = scriptedTerminal([["Phone number", "+15551234567\r"]]);
    const code = await loginCommand(args, {
      ...term,
      env: {},
      createClient: () =>
        new FakeLoginClient(async (p) => {
          await p.phone();
          throw new Error(`PHONE_NUMBER_BANNED (api hash ${API_HASH})`);
        }),
    });
    expect(code).toBe(1);
    expect(term.err()).toContain("PHONE_NUMBER_BANNED");
    expect(term.err()).not.toContain(API_HASH);
    expect(term.out()).toBe("");
  });

  it("when the user presses Ctrl+C at a prompt, then it exits 130, prints no session and destroys the client", async () => {
    const term = scriptedTerminal([["Phone number", "\x03"]]);
    const client = new FakeLoginClient(async (p, got) => {
      got.phone = await p.phone();
    });
    const code = await loginCommand(args, { ...term, env: {}, createClient: () => client });
    expect(code).toBe(130);
    expect(term.out()).toBe("");
    expect(client.got.phone).toBeUndefined();
    expect(client.destroyed).toBe(true);
  });
});
