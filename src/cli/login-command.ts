/**
 * `secretary-watch login`: logs the test account in interactively (phone, login code, 2FA password)
 * and prints its session string. stdout gets ONLY the session string (so `login > file` works);
 * prompts, progress and hints go to stderr. The code and the password are never echoed.
 */
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { redactSecrets, registerSecret } from "../redact.ts";
import { createMtcuteClient, stderrMtcuteLog } from "../testaccount/mtcute.ts";
import { UsageError } from "./check-command.ts";

const LOGIN_USAGE = `Usage: secretary-watch login [--api-id N] [--api-hash H] [--test]

Logs the round-trip test account (a Telegram user account) in and prints its session string on stdout.
  --api-id, --api-hash   from my.telegram.org (default: $TEST_ACCOUNT_API_ID, $TEST_ACCOUNT_API_HASH)
  --test                 Telegram's test environment (for telegram.environment: test)
Put the printed string in TEST_ACCOUNT_SESSION (testAccount.session). Needs an interactive terminal.`;

/** The parts of mtcute's TelegramClient the login uses (the real one fits; tests pass a fake). */
export interface LoginClient {
  start(params: {
    phone: () => Promise<string>;
    code: () => Promise<string>;
    password: () => Promise<string>;
    codeSentCallback: (sent: { readonly type: string }) => void;
    invalidCodeCallback: (type: "code" | "password") => void;
    abortSignal: AbortSignal;
  }): Promise<{ readonly id: number; readonly displayName: string }>;
  exportSession(): Promise<string>;
  destroy(): Promise<void>;
}

export interface LoginDeps {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  createClient: (options: { apiId: number; apiHash: string; environment: "prod" | "test" }) => LoginClient;
}

const defaultDeps = (): LoginDeps => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  createClient: (o) => createMtcuteClient({ ...o, log: stderrMtcuteLog }),
});

/** Exit codes: 0 logged in, 1 Telegram refused or failed, 2 usage (incl. no terminal), 130 cancelled. */
export async function loginCommand(args: string[], deps: Partial<LoginDeps> = {}): Promise<number> {
  const io: LoginDeps = { ...defaultDeps(), ...deps };
  const { values } = parseArgs({
    args,
    options: { "api-id": { type: "string" }, "api-hash": { type: "string" }, test: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(`${LOGIN_USAGE}\n`);
    return 0;
  }
  const apiIdText = values["api-id"] ?? io.env.TEST_ACCOUNT_API_ID ?? "";
  const apiId = Number(apiIdText);
  if (!/^\d+$/.test(apiIdText) || !Number.isSafeInteger(apiId) || apiId <= 0)
    throw new UsageError(
      apiIdText ? `--api-id: expected the numeric api_id from my.telegram.org, got "${apiIdText}"` : "--api-id (or TEST_ACCOUNT_API_ID) is required: the api_id from my.telegram.org",
    );
  const apiHash = values["api-hash"] ?? io.env.TEST_ACCOUNT_API_HASH ?? "";
  if (!apiHash) throw new UsageError("--api-hash (or TEST_ACCOUNT_API_HASH) is required: the api_hash from my.telegram.org");
  registerSecret(apiHash);

  if (!io.stdin.isTTY) {
    io.stderr.write(
      "secretary-watch login: stdin is not a terminal. The login asks for a phone number, a login code and maybe a 2FA password: run it in an interactive terminal (stdout may still be redirected to a file)\n",
    );
    return 2;
  }

  const environment = values.test ? "test" : "prod";
  const prompter = new Prompter(io.stdin, io.stderr);
  const client = io.createClient({ apiId, apiHash, environment });
  try {
    io.stderr.write(`Logging the test account in to Telegram's ${environment === "test" ? "test" : "production"} environment.\n`);
    // The race: Ctrl+C must also end waits mtcute does not abort itself (connecting, the first getMe).
    const user = await raceAbort(prompter.signal, client.start({
      phone: () => prompter.ask("Phone number (international format, e.g. +441234567890): "),
      code: () => prompter.askHidden("Login code (not shown while typing): "),
      password: async () => {
        const password = await prompter.askHidden("2FA password (not shown while typing): ");
        registerSecret(password);
        return password;
      },
      codeSentCallback: (sent) => {
        if (sent.type === "email_required") throw new Error("Telegram requires an email login setup for this account: set it up in an official app first");
        io.stderr.write(`The login code was sent ${DELIVERY[sent.type] ?? `via ${sent.type}`}.\n`);
      },
      invalidCodeCallback: (type) => {
        io.stderr.write(type === "code" ? "Wrong login code, try again.\n" : "Wrong 2FA password, try again.\n");
      },
      abortSignal: prompter.signal,
    }));
    const session = await client.exportSession();
    registerSecret(session);
    io.stdout.write(`${session}\n`);
    io.stderr.write(
      `\nLogged in as ${user.displayName} (user id ${user.id}). The line printed on stdout is the session string:\n` +
        `  put it in TEST_ACCOUNT_SESSION (config: testAccount.session), with testAccount.apiId ${apiId} and the same api hash` +
        `${environment === "test" ? ", and telegram.environment: test" : ""}.\n` +
        "  Treat it like a password: it gives full access to this account (revoke it under Settings > Devices).\n",
    );
    return 0;
  } catch (err) {
    if (prompter.signal.aborted) {
      io.stderr.write("\nsecretary-watch login: cancelled\n");
      return 130;
    }
    io.stderr.write(`\nsecretary-watch login: ${redactSecrets((err as Error).message)}\n`);
    return 1;
  } finally {
    prompter.close();
    await client.destroy().catch(() => undefined);
  }
}

function raceAbort<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("cancelled"));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

const DELIVERY: Record<string, string> = {
  app: "as a message from Telegram to your other logged-in devices",
  sms: "by SMS",
  call: "by a phone call",
  email: "by email",
  fragment: "to your Fragment number",
};

/** Drops what readline echoes while muted (readline in terminal mode echoes every typed key itself). */
class MutableOutput extends Writable {
  muted = false;
  readonly #target: NodeJS.WritableStream;

  constructor(target: NodeJS.WritableStream) {
    super();
    this.#target = target;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.muted) this.#target.write(chunk);
    callback();
  }
}

/** Line prompts on a terminal; Ctrl+C or end of input aborts `signal` (and any pending question). */
class Prompter {
  readonly #output: MutableOutput;
  readonly #rl: ReturnType<typeof createInterface>;
  readonly #abort = new AbortController();
  readonly #target: NodeJS.WritableStream;

  constructor(input: NodeJS.ReadableStream, target: NodeJS.WritableStream) {
    this.#target = target;
    this.#output = new MutableOutput(target);
    // terminal: true puts a TTY in raw mode, so the terminal does not echo: readline does, through #output.
    // historySize 0: the code must not be recallable with the up arrow at the next prompt.
    this.#rl = createInterface({ input, output: this.#output, terminal: true, historySize: 0 });
    this.#rl.on("SIGINT", () => this.#abort.abort());
    this.#rl.on("close", () => this.#abort.abort());
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  async ask(prompt: string): Promise<string> {
    for (;;) {
      const answer = (await this.#rl.question(prompt, { signal: this.#abort.signal })).trim();
      if (answer) return answer;
    }
  }

  /** Shows the prompt, then reads a line with echo off. */
  async askHidden(prompt: string): Promise<string> {
    for (;;) {
      this.#target.write(prompt);
      this.#output.muted = true;
      try {
        const answer = (await this.#rl.question("", { signal: this.#abort.signal })).trim();
        if (answer) return answer;
      } finally {
        this.#output.muted = false;
        this.#target.write("\n");
      }
    }
  }

  close(): void {
    this.#rl.removeAllListeners("close");
    this.#rl.close();
  }
}
