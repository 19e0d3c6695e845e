import http from "node:http";
import https from "node:https";
import { armTimer } from "../clock.ts";
import { NotBotApiAnswer, readEnvelope, type BotApiEnvelope } from "./envelope.ts";

/**
 * The HTTP transport: what grammY calls instead of its default node-fetch (the telegram channel's `Api`),
 * and `post`, the checks' call without grammY (client.ts). Both share one exchange and its agents.
 *
 * Why not the default: it costs ~2.5x the CPU of a plain keep-alive `node:http` request
 * (shared/reference/client-cost.md), and Node's own `fetch` rejects grammY's polyfilled
 * AbortSignal. Why not `res.json()` on whatever comes back: a proxy in front of the Bot API
 * answers with an HTML page, or JSON of its own, with any status. Here `json()` hands grammY only
 * an answer with the Bot API envelope's shape (envelope.ts) and rejects anything else with a
 * NotBotApiAnswer carrying the HTTP status, which the classifier turns into `unknown`, never a
 * verdict on the bot.
 */

/** The part of a fetch `init` grammY passes for JSON payloads (it never uploads files for us). */
interface TransportInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: { aborted: boolean; addEventListener(type: "abort", fn: () => void): void; removeEventListener(type: "abort", fn: () => void): void };
}

export interface TransportResponse {
  status: number;
  json(): Promise<unknown>;
}

/** grammY's `fetch` as it calls it (the telegram channel's Api), and the lean call the checks use. */
export type Transport = ((url: string, init: TransportInit) => Promise<TransportResponse>) & {
  /**
   * POSTs `body` (JSON) and gives the Bot API envelope, or throws: NotBotApiAnswer for an answer of
   * another shape, RequestTimeout when `timeoutMs` passed first, the socket's error otherwise. The
   * checks' path: no AbortController, no promise races, one timer per request.
   */
  post(url: string, body: string, timeoutMs: number, cancel?: AbortSignal): Promise<BotApiEnvelope>;
};

/** No answer within the request's deadline. */
export class RequestTimeout extends Error {
  override readonly name = "RequestTimeout";
  constructor() {
    super("no answer before the timeout");
  }
}

/**
 * Largest answer read by default (256 KiB); beyond it the request is aborted as soon as the cap is
 * crossed (or at once when Content-Length announces more). The methods the checks and channels call answer
 * a few KiB; the largest, sendMessage's Message echoing a 4096-character text with its entities, stays
 * under 64 KiB. The cap is what each request in flight may hold, so it is kept small: a fleet swept 32 at
 * a time behind a proxy streaming garbage then holds at most 8 MiB. doctor's getUpdates (100 updates) asks
 * for more (`maxBodyBytes`).
 */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * How long an idle keep-alive socket is kept. Without an agent timeout Node keeps idle sockets for
 * ever and ignores the server's `Keep-Alive: timeout=N` hint (it only ever lowers a timeout that is
 * set), so the server closes them first and a request sent on one as it closes dies with ECONNRESET.
 * With it, Node closes idle sockets before the server's announced timeout, or after 30 s when none is
 * announced (nginx's default is 75 s).
 */
const IDLE_SOCKET_MS = 30_000;

/** Errors of a request written to a reused keep-alive socket the server had just closed. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

const JSON_HEADERS = { "content-type": "application/json" };

export function createTransport(options: { maxSockets?: number; maxBodyBytes?: number } = {}): Transport & { close(): void } {
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const tooLarge = `a body larger than ${maxBody % (1 << 20) === 0 ? `${maxBody / (1 << 20)} MiB` : `${Math.round(maxBody / 1024)} KiB`}`;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: "lifo" as const, timeout: IDLE_SOCKET_MS };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);

  let closed = false;
  /**
   * One request, sent once more (on a new socket) when a reused socket turns out to be closed
   * before any answer came: the keep-alive race, which otherwise reads as a network error and a
   * false `unknown`. Node's documentation recommends exactly this retry.
   */
  const retried = (attempt: () => Promise<Answer>): Promise<Answer> =>
    attempt().catch((err: unknown) => {
      if (!(err instanceof StaleSocketError)) throw err;
      // close() destroys the sockets in use too: that is the service stopping, not a race.
      if (closed) throw err.cause;
      return attempt().catch((again: unknown) => {
        throw again instanceof StaleSocketError ? again.cause : again;
      });
    });

  /**
   * The exchange itself. Ends early when `signal` aborts (an AbortError) or `timeoutMs` passes (a
   * RequestTimeout), whichever comes first.
   */
  const exchange = (url: string, method: string, headers: Record<string, string> | undefined, body: string, signal: TransportInit["signal"], timeoutMs: number): Promise<Answer> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const secure = url.startsWith("https:");
      const req = (secure ? https : http).request(url, {
        method,
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
      });
      /** Why we ended the exchange ourselves; the socket's own error then says only "socket hang up". */
      let stopped: Error | undefined;
      const stop = (err: Error) => {
        stopped = err;
        req.destroy(err);
      };
      const onAbort = () => stop(abortError());
      const timer = timeoutMs > 0 ? armTimer(() => stop(new RequestTimeout()), timeoutMs) : undefined;
      signal?.addEventListener("abort", onAbort);
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      let answered = false;
      req.on("response", (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        // Settled once: the abort below makes the socket emit errors of its own afterwards.
        const refuse = (what: string) => {
          cleanup();
          reject(new NotBotApiAnswer(status, what));
          req.destroy();
        };
        if (Number(res.headers["content-length"] ?? 0) > maxBody) return refuse(tooLarge);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) refuse(tooLarge);
          else chunks.push(chunk);
        });
        res.on("error", () => {
          // Our own stop (the deadline, the sweep's signal) stays what it is: a timeout or a cancel.
          if (stopped) reject(stopped);
          else refuse(`a body cut off after ${size} bytes (the connection closed)`);
        });
        res.on("end", () => {
          cleanup();
          const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
          resolve({ status, contentType: res.headers["content-type"] ?? "", text });
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        cleanup();
        const stale = req.reusedSocket && !answered && !stopped && STALE_SOCKET_CODES.has(err.code ?? "");
        reject(stopped ?? (stale ? new StaleSocketError(err) : err));
      });
      req.end(body);
    });

  const transport = (url: string, init: TransportInit): Promise<TransportResponse> =>
    retried(() => exchange(url, init.method ?? "POST", init.headers, init.body ?? "", init.signal, 0)).then((answer) => ({
      status: answer.status,
      json: async () => readEnvelope(answer.status, answer.contentType, answer.text),
    }));

  const post = async (url: string, body: string, timeoutMs: number, cancel?: AbortSignal): Promise<BotApiEnvelope> => {
    const answer = await retried(() => exchange(url, "POST", JSON_HEADERS, body, cancel, timeoutMs));
    return readEnvelope(answer.status, answer.contentType, answer.text);
  };

  return Object.assign(transport, {
    post,
    close() {
      closed = true;
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}

/** What came back: the status and the whole body (at most the cap). */
interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** A request lost to a closed keep-alive socket; `cause` is the socket's error. */
class StaleSocketError extends Error {
  override readonly name = "StaleSocketError";
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

function abortError(): Error {
  const err = new Error("request aborted");
  err.name = "AbortError";
  return err;
}
