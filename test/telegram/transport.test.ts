/**
 * The keep-alive transport against real loopback servers: idle sockets are closed before the server
 * closes them, a request lost to a socket the server closed as it was sent is sent once more, and an
 * answer beyond the body size cap is refused without being read to its end.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTransport } from "../../src/telegram/transport.ts";

interface Loopback {
  url: string;
  /** Connections accepted, and requests that arrived, so far. */
  connections: number;
  requests: number;
  server: http.Server;
}

const OK = JSON.stringify({ ok: true, result: true });

type Fate = boolean | "hang";

/**
 * A server answering `ok`, except where `drop(n)` (n = the request's number on its connection) is true
 * (the socket is destroyed unanswered) or "hang" (never answered).
 */
async function loopback(drop: (nthOnConnection: number) => Fate, keepAliveTimeoutMs = 5000): Promise<Loopback> {
  const state = { connections: 0, requests: 0 };
  const perSocket = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    state.requests++;
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    req.resume();
    req.on("end", () => {
      const fate = drop(n);
      if (fate === true) req.socket.destroy();
      else if (fate === false) res.setHeader("content-type", "application/json").end(OK);
    });
  });
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on("connection", () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  open.push(server);
  return Object.assign(state, { url: `http://127.0.0.1:${port}/bot1:x/getMe`, server });
}

const open: http.Server[] = [];
const transports: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  for (const s of open.splice(0)) await new Promise((resolve) => s.close(resolve).closeAllConnections());
});

function transport() {
  const t = createTransport();
  transports.push(t);
  return t;
}

const call = async (t: ReturnType<typeof createTransport>, url: string) => (await t(url, { method: "POST", body: "{}" })).json();

describe("keep-alive transport", () => {
  it("when the server closes a reused socket as the request arrives, then the request is sent once more on a new socket and succeeds", async () => {
    const server = await loopback((n) => n === 2);
    const t = transport();
    expect(await call(t, server.url)).toEqual({ ok: true, result: true });
    expect(await call(t, server.url)).toEqual({ ok: true, result: true });
    expect({ connections: server.connections, requests: server.requests }).toEqual({ connections: 2, requests: 3 });
  });

  it("when a new socket is reset, then the error stands and nothing is sent again", async () => {
    const server = await loopback(() => true);
    const t = transport();
    await expect(call(t, server.url)).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(server.requests).toBe(1);
  });

  it("when the reused socket is reset again on the retry's new socket, then the error is the socket's error", async () => {
    // Only the very first request is answered: the retry, on its new socket, is dropped too.
    let seen = 0;
    const server = await loopback(() => ++seen > 1);
    const t = transport();
    await call(t, server.url);
    await expect(call(t, server.url)).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(server.requests).toBe(3);
  });

  it("when the server announces a keep-alive timeout, then an idle socket is closed by us before the server would, and the next request opens a new one", async () => {
    const server = await loopback(() => false, 2000);
    const t = transport();
    await call(t, server.url);
    // The server keeps the socket 2 s; Node closes ours 1 s before that announced timeout.
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await call(t, server.url);
    expect({ connections: server.connections, requests: server.requests }).toEqual({ connections: 2, requests: 2 });
  });

  it("when the transport is closed while a request waits on a reused socket, then the request fails and is not sent again", async () => {
    const server = await loopback((n) => (n === 2 ? "hang" : false));
    const t = transport();
    await call(t, server.url);
    const waiting = call(t, server.url);
    await until(() => server.requests === 2);
    t.close();
    await expect(waiting).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests).toBe(2);
  });
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("body size cap", () => {
  /** A server whose answer is `head` (status 200, these headers) then `chunks` written as the client reads. */
  async function answering(headers: Record<string, string | number>, body: (res: http.ServerResponse) => void): Promise<string> {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json", ...headers });
        body(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    open.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/bot1:x/getMe`;
  }
  const refusal = (t: ReturnType<typeof createTransport>, url: string) =>
    t(url, { method: "POST", body: "{}" }).then(
      () => "answered",
      (err: Error) => err.message,
    );

  it("when Content-Length announces more than the cap, then the request is refused at once, before any body arrives, naming the cap", async () => {
    // Headers only: a client that waited for the body would wait for ever.
    const url = await answering({ "content-length": 50_000_000 }, (res) => res.flushHeaders());
    expect(await refusal(transport(), url)).toBe("HTTP 200 with a body larger than 256 KiB, not a Bot API answer");
  });

  it("when a body without Content-Length streams past the cap, then the request is refused and the server sees the connection close", async () => {
    let written = 0;
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const url = await answering({}, (res) => {
      res.on("close", closed);
      const more = () => {
        while (!res.destroyed && written < 50_000_000) {
          written += 65_536;
          if (!res.write(Buffer.alloc(65_536, " "))) return void res.once("drain", more);
        }
      };
      more();
    });
    const t = createTransport({ maxBodyBytes: 100_000 });
    transports.push(t);
    expect(await refusal(t, url)).toBe("HTTP 200 with a body larger than 98 KiB, not a Bot API answer");
    await gone;
    expect(written).toBeLessThan(50_000_000);
  });

  it("when the connection closes mid-body, then the error names the bytes that arrived", async () => {
    const url = await answering({ "content-length": 100 }, (res) => res.write('{"ok":true,"result":', () => res.socket!.destroy()));
    expect(await refusal(transport(), url)).toBe("HTTP 200 with a body cut off after 20 bytes (the connection closed), not a Bot API answer");
  });
});
