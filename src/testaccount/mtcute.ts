/**
 * The real test account: a Telegram user account over MTProto, through mtcute. Session strings only
 * (MemoryStorage; never SQLite), so nothing is written to disk and the account is exactly what
 * `testAccount.session` says.
 *
 * mtcute sits behind a small seam, `MtcuteClient`: the handful of TelegramClient members the adapter
 * uses. The real TelegramClient satisfies it (checked below at compile time); tests pass one running
 * over @mtcute/test's stub, so the adapter's calls are what mtcute does with them.
 */
import { format } from "node:util";
import { MemoryStorage, MtPeerNotFoundError, TelegramClient, tl } from "@mtcute/node";
import { readStringSession } from "@mtcute/node/utils.js";
import { redactSecrets, registerSecret } from "../redact.ts";
import { armTimer } from "../clock.ts";
import { TestAccountTimeout, type ExpectOptions, type Expectation, type ReceivedMessage, type TestAccount } from "./types.ts";

/** The parts of an mtcute `Message` the adapter reads. */
export interface MtcuteMessage {
  readonly id: number;
  readonly isOutgoing: boolean;
  /** In a private chat `type` is "user" and `id` is the other user's id. */
  readonly chat: { readonly type: string; readonly id: number };
  readonly sender: { readonly id: number };
  readonly text: string;
  readonly date: Date;
}

export interface MtcuteEmitter<T> {
  add(listener: (value: T) => void): void;
  remove(listener: (value: T) => void): void;
}

/** The seam: the TelegramClient members the adapter uses. */
export interface MtcuteClient {
  importSession(session: string, force?: boolean): Promise<void>;
  getMe(): Promise<{ readonly id: number; readonly raw: tl.RawUser }>;
  /** What `start()` does after a successful getMe: marks the client logged in and starts the updates loop. */
  notifyLoggedIn(user: tl.RawUser): Promise<unknown>;
  sendText(chatId: number, text: string): Promise<{ readonly id: number }>;
  deleteMessagesById(chatId: number, ids: number[], params?: { revoke?: boolean }): Promise<void>;
  /** Peer cache warm-up when a user id has no access hash yet (MemoryStorage starts empty). */
  getContacts(): Promise<unknown[]>;
  iterDialogs(params?: { limit?: number }): AsyncIterable<unknown>;
  readonly onNewMessage: MtcuteEmitter<MtcuteMessage>;
  destroy(): Promise<void>;
}

// Compile-time proof that the real client fits the seam.
const _realClientFitsSeam = (client: TelegramClient): MtcuteClient => client;

export type MtcuteLogLevel = "error" | "warn" | "info" | "debug";
/** Where mtcute's own log lines go (never stdout: stdout is pino JSON or the login's session string). */
export type MtcuteLog = (level: MtcuteLogLevel, message: string) => void;

/** One line per entry (mtcute appends stack traces to connection errors; they are noise on a terminal). */
export const stderrMtcuteLog: MtcuteLog = (level, message) => {
  process.stderr.write(`mtcute ${level}: ${redactSecrets(message.split("\n", 1)[0] ?? "")}\n`);
};

export interface MtcuteClientOptions {
  apiId: number;
  apiHash: string;
  environment: "prod" | "test";
  log?: MtcuteLog;
}

const LEVELS: MtcuteLogLevel[] = ["error", "error", "warn", "info", "debug", "debug"];

/** A real TelegramClient: memory storage, test DCs for `environment: test`, logs routed to `log`. */
export function createMtcuteClient(options: MtcuteClientOptions): TelegramClient {
  const client = new TelegramClient({
    apiId: options.apiId,
    apiHash: options.apiHash,
    storage: new MemoryStorage(),
    testMode: options.environment === "test",
  });
  const log = options.log ?? stderrMtcuteLog;
  // mtcute's default handler is console.log, i.e. stdout.
  client.log.mgr.handler = (_color, level, tag, fmt, args) => log(LEVELS[level] ?? "debug", redactSecrets(`[${tag}] ${format(fmt, ...args)}`));
  client.onError.add((err) => log("error", redactSecrets(err.message)));
  return client;
}

export interface MtcuteTestAccountOptions {
  /** `testAccount.session`: a session string from `secretary-watch login`. */
  session: string;
  apiId: number;
  apiHash: string;
  environment: "prod" | "test";
  /** Injected client (tests); default: createMtcuteClient. */
  client?: MtcuteClient;
  log?: MtcuteLog;
  /** How long the first call (getMe) may take. Default 30 s. */
  connectTimeoutMs?: number;
}

/** Telegram error texts that mean the session itself is no good (logged out, revoked, deleted account). */
function isSessionRejected(err: unknown): err is tl.RpcError {
  return err instanceof tl.RpcError && (err.code === 401 || err.text === "USER_DEACTIVATED" || err.text === "USER_DEACTIVATED_BAN");
}

const RELOGIN = "run `secretary-watch login` and put the new session string in TEST_ACCOUNT_SESSION";

/**
 * Logs the test account in from its session string and returns it ready to use. mtcute starts its
 * updates loop in the background, as its own start() does: messages flow once it has fetched the update
 * state, one round trip to Telegram, well before an answer to anything sent after this returns.
 * Errors name `testAccount.*` and never contain the session or the api hash.
 */
export async function createMtcuteTestAccount(options: MtcuteTestAccountOptions): Promise<TestAccount> {
  if (!Number.isInteger(options.apiId) || options.apiId <= 0) throw new Error("testAccount.apiId: required for the test account (from my.telegram.org)");
  if (!options.apiHash) throw new Error("testAccount.apiHash: required for the test account (from my.telegram.org)");
  if (!options.session) throw new Error(`testAccount.session: required for the test account (${RELOGIN})`);
  registerSecret(options.session);
  registerSecret(options.apiHash);

  let sessionTestMode: boolean;
  try {
    sessionTestMode = readStringSession(options.session).primaryDcs.main.testMode === true;
  } catch (err) {
    throw new Error(`testAccount.session: not a valid session string (${redactSecrets((err as Error).message)}); ${RELOGIN}`, { cause: err });
  }
  if (sessionTestMode !== (options.environment === "test"))
    throw new Error(
      `testAccount.session: made for Telegram's ${sessionTestMode ? "test" : "production"} environment, but telegram.environment is ${options.environment}` +
        ` (log in again${options.environment === "test" ? " with `secretary-watch login --test`" : " without --test"})`,
    );

  const client = options.client ?? createMtcuteClient(options);
  try {
    try {
      await client.importSession(options.session, true);
    } catch (err) {
      throw new Error(`testAccount.session: not accepted (${redactSecrets((err as Error).message)}); ${RELOGIN}`, { cause: err });
    }
    const me = await withTimeout(client.getMe(), options.connectTimeoutMs ?? 30_000).catch((err: unknown) => {
      if (isSessionRejected(err)) throw new Error(`testAccount.session: Telegram no longer accepts this session (${err.text}); ${RELOGIN}`, { cause: err });
      throw new Error(`test account: could not log in to Telegram: ${redactSecrets((err as Error).message)}`, { cause: err });
    });
    await client.notifyLoggedIn(me.raw);
    return new MtcuteTestAccount(client, me.id);
  } catch (err) {
    await client.destroy().catch(() => undefined);
    throw err;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = armTimer(() => reject(new Error(`Telegram did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Pending {
  reject(err: Error): void;
}

class MtcuteTestAccount implements TestAccount {
  readonly userId: number;
  readonly #client: MtcuteClient;
  readonly #pending = new Set<Pending>();
  #closed = false;

  constructor(client: MtcuteClient, userId: number) {
    this.#client = client;
    this.userId = userId;
  }

  expect(options: ExpectOptions): Expectation {
    const { promise, resolve, reject } = Promise.withResolvers<ReceivedMessage>();
    // Callers may cancel (or time out) before they await; that must not be an unhandled rejection.
    promise.catch(() => undefined);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const listener = (m: MtcuteMessage) => {
      if (settled || m.isOutgoing || m.chat.type !== "user" || m.sender.id !== options.from) return;
      const received: ReceivedMessage = { messageId: m.id, from: m.sender.id, text: m.text, date: m.date };
      if (!safeMatch(options.match, received)) return;
      finish();
      resolve(received);
    };
    const onAbort = () => fail(abortError(options.signal?.reason));
    const pending: Pending = { reject: (err) => fail(err) };

    const finish = () => {
      settled = true;
      clearTimeout(timer);
      this.#client.onNewMessage.remove(listener);
      options.signal?.removeEventListener("abort", onAbort);
      this.#pending.delete(pending);
    };
    const fail = (err: Error) => {
      if (settled) return;
      finish();
      reject(err);
    };

    if (this.#closed) fail(new Error("test account is closed"));
    else if (options.signal?.aborted) fail(abortError(options.signal.reason));
    else {
      this.#pending.add(pending);
      this.#client.onNewMessage.add(listener);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      timer = armTimer(
        () => fail(new TestAccountTimeout(`no matching message from user ${options.from} within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    }
    return { message: promise, cancel: () => fail(abortError("expectation cancelled")) };
  }

  async sendText(peer: number, text: string): Promise<{ messageId: number }> {
    const message = await this.#withPeer(peer, () => this.#client.sendText(peer, text));
    return { messageId: message.id };
  }

  async deleteMessages(peer: number, messageIds: number[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.#withPeer(peer, () => this.#client.deleteMessagesById(peer, messageIds, { revoke: true }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#pending]) p.reject(new Error("test account closed"));
    await this.#client.destroy();
  }

  /**
   * MemoryStorage starts with no access hashes, so a bare user id may not resolve yet. On a miss the
   * contacts and recent dialogs are fetched once (mtcute caches every peer it sees) and the call retried.
   */
  async #withPeer<T>(peer: number, call: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error("test account is closed");
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof MtPeerNotFoundError)) throw err;
    }
    await this.#client.getContacts().catch(() => undefined);
    try {
      for await (const _dialog of this.#client.iterDialogs({ limit: 200 })) {
        // iterating fills the peer cache
      }
    } catch {
      // best effort: the retry below reports the real problem
    }
    try {
      return await call();
    } catch (err) {
      if (err instanceof MtPeerNotFoundError)
        throw new Error(
          `test account cannot address user ${peer}: Telegram gave no access to that user. ` +
            "Open a chat with the profile from the test account once (or add it to the account's contacts)",
          { cause: err },
        );
      throw err;
    }
  }
}

function safeMatch(match: ExpectOptions["match"], message: ReceivedMessage): boolean {
  try {
    return match ? match(message) : true;
  } catch {
    return false;
  }
}

function abortError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === "string" ? reason : "expectation aborted", "AbortError");
}
