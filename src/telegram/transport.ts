import http from "node:http";
import https from "node:https";
import { NotBotApiAnswer, readEnvelope } from "./envelope.ts";

/**
 * The HTTP transport grammY calls instead of its default node-fetch.
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

export type Transport = (url: string, init: TransportInit) => Promise<TransportResponse>;

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
  const transport = (url: string, init: TransportInit): Promise<TransportResponse> =>
    send(url, init).catch((err: unknown) => {
      if (!(err instanceof StaleSocketError)) throw err;
      // close() destroys the sockets in use too: that is the service stopping, not a race.
      if (closed) throw err.cause;
      return send(url, init).catch((again: unknown) => {
        throw again instanceof StaleSocketError ? again.cause : again;
      });
    });

  const send = (url: string, init: TransportInit): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === "https:";
      const body = init.body ?? "";
      const signal = init.signal;
      if (signal?.aborted) return reject(abortError());

      const req = (secure ? https : http).request(
        target,
        {
          method: init.method ?? "POST",
          agent: secure ? httpsAgent : httpAgent,
          headers: { ...init.headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
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
          res.on("error", (err) => {
            // Our own abort (the deadline, the sweep's signal) stays what it is: a timeout or a cancel.
            if (signal?.aborted) reject(err);
            else refuse(`a body cut off after ${size} bytes (the connection closed)`);
          });
          res.on("end", () => {
            cleanup();
            const text = Buffer.concat(chunks).toString("utf8");
            const contentType = res.headers["content-type"] ?? "";
            resolve({ status, json: async () => readEnvelope(status, contentType, text) });
          });
        },
      );
      const onAbort = () => req.destroy(abortError());
      const cleanup = () => signal?.removeEventListener("abort", onAbort);
      signal?.addEventListener("abort", onAbort);
      let answered = false;
      req.on("response", () => (answered = true));
      req.on("error", (err: NodeJS.ErrnoException) => {
        cleanup();
        const stale = req.reusedSocket && !answered && !signal?.aborted && STALE_SOCKET_CODES.has(err.code ?? "");
        reject(stale ? new StaleSocketError(err) : err);
      });
      req.end(body);
    });

  return Object.assign(transport, {
    close() {
      closed = true;
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
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
