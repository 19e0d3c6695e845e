/**
 * A loopback HTTP proxy in front of a Bot API (the sandbox) that records every call as it crossed the
 * wire: the method and parameters the client sent, and the status and body that came back. The
 * conformance tests validate both sides of each exchange against the Bot API spec.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import type { BotApiValidator } from "./botapi-spec.ts";

export interface BotApiExchange {
  /** The method as the URL names it (`/bot<token>/<method>`). */
  method: string;
  /** The parameters as sent: the JSON body (grammY's encoding), or the query for a call without one. */
  params: Record<string, unknown>;
  /** What was wrong with the request's encoding itself (not JSON, not an object), if anything. */
  encoding?: string;
  status: number;
  contentType: string;
  /** The answer parsed from JSON; undefined when it was not JSON (a proxy's page). */
  answer: unknown;
}

export interface BotApiRecorder {
  /** Use as the client's apiRoot: `http://127.0.0.1:<port>`. */
  url: string;
  exchanges: BotApiExchange[];
  close(): Promise<void>;
}

const CALL = /^\/bot[^/]*\/(?:test\/)?([^/?]+)/;

/** `onExchange` sees each call before its answer goes back to the client (a test's Telegram acting on it). */
export async function startBotApiRecorder(target: string, onExchange: (e: BotApiExchange) => void = () => undefined): Promise<BotApiRecorder> {
  const exchanges: BotApiExchange[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const sent: Buffer[] = [];
    req.on("data", (chunk: Buffer) => sent.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(sent);
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          const got: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => got.push(chunk));
          answer.on("end", () => {
            const text = Buffer.concat(got).toString("utf8");
            const call = CALL.exec(req.url ?? "");
            if (call) {
              const exchange = { method: decodeURIComponent(call[1]!), ...readParams(req.url ?? "", req.headers["content-type"], body), ...readAnswer(answer.statusCode ?? 0, answer.headers["content-type"], text) };
              exchanges.push(exchange);
              onExchange(exchange);
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readParams(url: string, contentType: string | undefined, body: Buffer): Pick<BotApiExchange, "params" | "encoding"> {
  if (body.length === 0) return { params: Object.fromEntries(new URL(url, "http://recorder").searchParams) };
  if (!(contentType ?? "").toLowerCase().startsWith("application/json")) return { params: {}, encoding: `the body is ${contentType ?? "untyped"}, not JSON` };
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return { params: parsed as Record<string, unknown> };
    return { params: {}, encoding: "the JSON body is not an object" };
  } catch {
    return { params: {}, encoding: "the body is not valid JSON" };
  }
}

function readAnswer(status: number, contentType: string | undefined, text: string): Pick<BotApiExchange, "status" | "contentType" | "answer"> {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  return { status, contentType: contentType ?? "", answer };
}

/**
 * What in the recorded exchanges does not conform, one line per problem prefixed with the call
 * (`#3 getMe → 200: result.id is missing`). A non-JSON answer is a proxy's page, not the Bot API's: it
 * counts only when `nonJson` says so.
 */
export function nonconformities(validator: BotApiValidator, exchanges: readonly BotApiExchange[], options: { nonJson?: "problem" | "skip" } = {}): string[] {
  return exchanges.flatMap((e, i) => {
    const call = `#${i} ${e.method} → ${e.status}`;
    const request = e.encoding ? [e.encoding] : validator.request(e.method, e.params);
    const answer = e.answer === undefined ? (options.nonJson === "skip" ? [] : [`a ${e.contentType} answer, not JSON`]) : validator.answer(e.method, e.status, e.answer);
    return [...request.map((p) => `${call} request: ${p}`), ...answer.map((p) => `${call} answer: ${p}`)];
  });
}
