/**
 * The test account for the demo and tests: a simulated user account of the sandbox (/_sandbox/accounts).
 * One long-poll loop reads what the account receives and hands each message to the expectations pending
 * at that moment. Messages received before the client started are history and never match.
 */
import { TestAccountTimeout } from "./types.ts";
import { armTimer } from "../clock.ts";
import type { ExpectOptions, Expectation, ReceivedMessage, TestAccount } from "./types.ts";

export type SandboxTestAccountOptions = {
  /** The sandbox root, e.g. http://127.0.0.1:PORT (the Bot API root the monitor uses). */
  sandboxUrl: string;
  /** The simulated user the account acts as. */
  userId: number;
  /** Seconds one long poll waits server-side (default 25; the sandbox caps it at 30). */
  pollTimeoutSeconds?: number;
  /** Pause after a failed poll, doubling up to 10 s (default 500 ms). */
  retryDelayMs?: number;
  /** Limit for sendText / deleteMessages (default 10 s). */
  requestTimeoutMs?: number;
};

export type SandboxTestAccount = TestAccount & {
  /** Resolves once the loop has skipped the history and listens; sendText waits for it by itself. */
  readonly ready: Promise<void>;
};

type WireUpdate = { updateId: number; message: { messageId: number; from: number; text: string; date: number } };

type Pending = {
  options: ExpectOptions;
  resolve: (m: ReceivedMessage) => void;
  reject: (err: unknown) => void;
};

export function createSandboxTestAccount(options: SandboxTestAccountOptions): SandboxTestAccount {
  const base = `${options.sandboxUrl.replace(/\/+$/, "")}/_sandbox/accounts/${options.userId}`;
  const pollSeconds = options.pollTimeoutSeconds ?? 25;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;

  const pending = new Set<Pending>();
  const stop = new AbortController();
  let closed = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  function dispatch(update: WireUpdate): void {
    const message: ReceivedMessage = {
      messageId: update.message.messageId,
      from: update.message.from,
      text: update.message.text,
      date: new Date(update.message.date * 1000),
    };
    for (const p of [...pending]) {
      if (p.options.from !== message.from) continue;
      let matches: boolean;
      try {
        matches = p.options.match?.(message) ?? true;
      } catch {
        matches = false;
      }
      if (matches) p.resolve(message);
    }
  }

  async function poll(offset: number, timeoutSeconds: number): Promise<WireUpdate[]> {
    const res = await fetch(`${base}/updates?offset=${offset}&timeout=${timeoutSeconds}`, { signal: stop.signal });
    if (!res.ok) throw new Error(`sandbox account ${options.userId}: updates: ${res.status} ${await errorText(res)}`);
    return ((await res.json()) as { updates: WireUpdate[] }).updates;
  }

  async function loop(): Promise<void> {
    let offset = 0;
    let skippedHistory = false;
    let backoff = retryDelayMs;
    while (!closed) {
      try {
        if (!skippedHistory) {
          const history = await poll(0, 0);
          offset = history.length ? history[history.length - 1]!.updateId + 1 : 0;
          skippedHistory = true;
          markReady();
          continue;
        }
        const updates = await poll(offset, pollSeconds);
        backoff = retryDelayMs;
        for (const u of updates) {
          offset = Math.max(offset, u.updateId + 1);
          dispatch(u);
        }
      } catch {
        if (closed) break;
        // Sends need not wait for a sandbox that does not answer (they will fail by themselves).
        markReady();
        // The sandbox is away or restarting: try again later; pending expectations run into their timeouts.
        await sleep(backoff, stop.signal);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  void loop();

  async function request(method: string, path: string, body: unknown): Promise<unknown> {
    if (closed) throw new Error("test account closed");
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(requestTimeoutMs)]);
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw new Error(`sandbox account ${options.userId}: ${method} ${path}: ${res.status} ${await errorText(res)}`);
    return res.json();
  }

  return {
    userId: options.userId,
    ready,

    expect(expectOptions: ExpectOptions): Expectation {
      let entry: Pending | undefined;
      const message = new Promise<ReceivedMessage>((resolve, reject) => {
        const { signal, timeoutMs } = expectOptions;
        if (closed) return reject(new Error("test account closed"));
        if (signal?.aborted) return reject(abortReason(signal));
        const finish = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (entry) pending.delete(entry);
        };
        const onAbort = () => {
          finish();
          reject(abortReason(signal!));
        };
        const timer = armTimer(() => {
          finish();
          reject(new TestAccountTimeout(`no message from ${expectOptions.from} within ${timeoutMs} ms`));
        }, timeoutMs);
        signal?.addEventListener("abort", onAbort, { once: true });
        entry = {
          options: expectOptions,
          resolve: (m) => {
            finish();
            resolve(m);
          },
          reject: (err) => {
            finish();
            reject(err);
          },
        };
        pending.add(entry);
      });
      // A caller that stops caring (cancel, or gave up after a failed send) must not cause an unhandled rejection.
      void message.catch(() => undefined);
      return {
        message,
        cancel: () => entry?.reject(new DOMException("expectation cancelled", "AbortError")),
      };
    },

    async sendText(peer: number, text: string): Promise<{ messageId: number }> {
      // The answer may come at once: the loop must be listening before the message goes out.
      await Promise.race([ready, sleep(requestTimeoutMs, stop.signal)]);
      const r = (await request("POST", "/messages", { peer, text })) as { messageId: number };
      return { messageId: r.messageId };
    },

    async deleteMessages(peer: number, messageIds: number[]): Promise<void> {
      if (messageIds.length === 0) return;
      for (let i = 0; i < messageIds.length; i += 100) {
        await request("DELETE", `/chats/${peer}/messages`, { messageIds: messageIds.slice(i, i + 100) });
      }
    },

    close(): Promise<void> {
      if (!closed) {
        closed = true;
        stop.abort();
        for (const p of [...pending]) p.reject(new Error("test account closed"));
      }
      return Promise.resolve();
    },
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = armTimer(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
