/**
 * The keep-alive transport against real loopback servers: idle sockets are closed before the server
 * closes them, and a request lost to a socket the server closed as it was sent is sent once more.
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
