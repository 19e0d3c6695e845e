/** A local HTTP server on loopback that records every request and answers with a scripted status. */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** The request target: path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes received. */
  body: Buffer;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Record the request but never answer it. */
  hang?: boolean;
}

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  requests: ReceivedRequest[];
  /** Stops the server now (dropping open connections), e.g. to test a receiver that is down. */
  close(): Promise<void>;
}

const servers = new Set<Server>();

function stop(server: Server): Promise<void> {
  servers.delete(server);
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What a scripted receiver answers its request number `index` (0 for the first). */
export type ReceiverScript = (index: number, request: ReceivedRequest) => ReceiverAnswer;

/**
 * Starts a receiver that answers every request with `answer`, or with what a script returns for each
 * request in turn (e.g. a 429, then a 200). Close it, or call closeHttpReceivers in afterEach.
 */
export async function httpReceiver(answerOrScript: ReceiverAnswer | ReceiverScript = { status: 200 }): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(request);
      const answer = typeof answerOrScript === "function" ? answerOrScript(requests.length - 1, request) : answerOrScript;
      if (answer.hang) return;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? "");
    });
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => stop(server) };
}

/** Closes every receiver still open; for afterEach. */
export async function closeHttpReceivers(): Promise<void> {
  await Promise.all([...servers].map(stop));
}
