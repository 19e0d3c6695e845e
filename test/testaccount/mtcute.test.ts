/**
 * The mtcute test account's checks made before any client exists, createMtcuteClient's logging, and
 * `login` at its seam (a scripted login client). The account itself runs on mtcute's own stack in
 * mtcute-stack.test.ts.
 */
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loginCommand, type LoginClient } from "../../src/cli/login-command.ts";
import { UsageError } from "../../src/cli/check-command.ts";
import { createMtcuteClient, createMtcuteTestAccount } from "../../src/testaccount/mtcute.ts";
import { SELF, sessionString as session } from "../support/mtcute-telegram.ts";
import { rejection } from "../support/rejection.ts";

const API_HASH = "0123456789abcdef0123456789abcdef";

/** Options whose problem is caught before any client is made, so nothing here connects. */
const login = (over: Partial<Parameters<typeof createMtcuteTestAccount>[0]>) =>
  createMtcuteTestAccount({ session: session(), apiId: 12345, apiHash: API_HASH, environment: "prod", ...over });

describe("mtcute test account: what is refused before Telegram is asked", () => {
  it("when the session was made for the test environment but the config says prod, then the error names both", async () => {
    const err = await rejection(login({ session: session("test") }), Error);
    expect(err.message).toMatch(/testAccount\.session: made for Telegram's test environment, but telegram\.environment is prod/);
  });

  it("when apiId or apiHash is missing, then the error names the key", async () => {
    await expect(login({ apiId: 0 })).rejects.toThrow(/testAccount\.apiId/);
    await expect(login({ apiHash: "" })).rejects.toThrow(/testAccount\.apiHash/);
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
