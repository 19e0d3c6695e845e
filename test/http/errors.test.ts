/**
 * Issue 12, item 6: every error of every route is answered by one handler: JSON `{error}` (HTML for a
 * page), the right 4xx, never a stack or an install path, and one pino line instead of a stack on stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/server.ts";
import type { Metrics } from "../../src/metrics/metrics.ts";
import type { Monitor } from "../../src/monitor.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { LogSink, until } from "../support/service-harness.ts";
import { testStore } from "../support/test-store.ts";

const ADMIN = "errors-test-admin-token-5d4c3b";

interface Answer {
  status: number;
  type: string;
  body: string;
  authenticate?: string;
}

/** node:http rather than fetch: any method, path and header, as a client may send them. */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A length always: without one, Node sends an OPTIONS or DELETE body unframed.
    const framed = body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
    const req = request(`${base}${path}`, { method, headers: framed, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({
          status: res.statusCode!,
          type: String(res.headers["content-type"] ?? ""),
          body: Buffer.concat(chunks).toString(),
          authenticate: res.headers["www-authenticate"],
        }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A request as raw bytes (what no client library would send); resolves with the status line's code. */
function sendRaw(port: number, bytes: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes));
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, type: /content-type: ([^\r\n]*)/i.exec(text)?.[1] ?? "", body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
  });
}

/** What a stack trace or an install path looks like in a body. */
const LEAKS = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|(Type|Range|URI|Syntax)Error/;

const statuses = new Map<number, number>();

/** The one 5xx the product means: /status/bots/anna says 503, anna's health being unknown (HEAD: no body). */
// Dot segments resolved first, as the server's URL parsing does: `/status/bots/anna/.` is her view too.
const isAnnasView = (path: string) => /^\/status\/bots\/anna\/?$/.test(resolvedPath(path));
const resolvedPath = (path: string) => {
  try {
    return new URL(path, "http://localhost").pathname;
  } catch {
    return path;
  }
};

function expectCleanError(a: Answer, what: string, cwd: string, view = false): void {
  statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  if (view && a.status === 503) return;
  expect(a.status, `${what} → ${a.status} ${a.body.slice(0, 300)}`).toBeLessThan(500);
  if (a.status < 400) return;
  expect(a.body, what).not.toMatch(LEAKS);
  expect(a.body.includes(cwd), `${what} shows the install path: ${a.body.slice(0, 300)}`).toBe(false);
}

describe("the HTTP server's errors, in the real process", () => {
  let child: ChildProcess;
  let port: number;
  let base: string;
  let stderr = "";
  let stdout = "";

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-errors-"));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const configPath = join(dir, "config.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        // Nothing answers there: the bot's checks are unknown, which does not matter here.
        telegram: { apiRoot: "http://127.0.0.1:9", timeout: "1s" },
        server: { host: "127.0.0.1", port, adminToken: ADMIN },
        store: { ...(await testStore(dir)), secretKey: "errors-test-secret-key" },
        bots: [{ name: "anna", token: "7000001:errors-test-anna-Zq1", username: "anna_secretary_bot", owner: { id: 123456789 } }],
      }),
    );
    // Express's default error handler prints stacks to stderr unless NODE_ENV is "test" (which vitest
    // sets): the service runs as deployed, without it.
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "info" };
    delete env.NODE_ENV;
    child = spawn(process.execPath, ["src/cli/main.ts", "start", "--config", configPath], { env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await until("the service to be ready", () => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 20_000);
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("when malformed paths, bodies and headers are sent to every route, then no answer is a 5xx, no body holds a stack or a path, and nothing is written to stderr", async () => {
    const cwd = process.cwd();
    const badPercent = fc.constantFrom("%", "%%", "%Z", "%ZZ", "a%", "%2", "%C0%AF", "%E0%A4%A", "%FF", "%ED%A0%80", "%00", "%uD800", "..%2F..%2F", "%2e%2e");
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }).map((s) => s.replace(/[#?]/g, ""));
    const segment = fc.oneof(badPercent, printable, fc.tuple(printable, badPercent, printable).map((p) => p.join("")));
    const route = fc.constantFrom("/", "/status/bots/", "/status/bots/anna/", "/api/v1/bots/", "/api/v1/bots/anna/", "/api/v1/silences/", "/metrics/", "/healthz/");
    const suffix = fc.constantFrom("", "/badge.svg", "/run", "/business-connection", "?q=%", "?refresh=%ZZ&q[a]=1");
    const accept = fc.constantFrom("*/*", "text/html", "application/json", "text/html;q=0.1, application/json", "garbage;;q=x", "");
    const pathCase = fc.record({ method: fc.constantFrom("GET", "HEAD", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"), route, segment, suffix, accept });

    const body = fc.oneof(
      fc.constantFrom("{", "[", "null", '"x"', '{"a":', "{}", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', "\u0000\u00ff"),
      fc.constant("x".repeat(70 * 1024)),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1")),
    );
    const bodyCase = fc.record({
      target: fc.constantFrom("POST /api/v1/bots", "POST /api/v1/silences", "PATCH /api/v1/bots/anna", "PUT /api/v1/bots/anna/business-connection"),
      body,
      contentType: fc.constantFrom("application/json", "application/json; charset=utf-16", "application/json; charset=nope", "text/plain", ";;;", "application/json; charset"),
      encoding: fc.constantFrom("", "gzip", "gzip-valid", "deflate", "br", "identity", "x-unknown"),
      authorization: fc.constantFrom(`Bearer ${ADMIN}`, "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", `Bearer ${"x".repeat(4000)}`, ""),
      forwarded: fc.constantFrom("", "not-an-ip", "1.2.3.4, , ,", "::ffff:999.1.1.1", "a".repeat(2000)),
    });

    let requests = 0;
    await fc.assert(
      fc.asyncProperty(pathCase, async (c) => {
        requests++;
        const path = c.route + c.segment + c.suffix;
        const a = await send(base, c.method, path, { accept: c.accept, authorization: `Bearer ${ADMIN}` }, c.method === "GET" || c.method === "HEAD" ? undefined : "{}");
        expectCleanError(a, `${c.method} ${path} (accept ${c.accept})`, cwd, isAnnasView(path) && (c.method === "GET" || c.method === "HEAD"));
        if (a.status >= 400 && c.method !== "HEAD" && path.startsWith("/api/")) expect(a.type, `${c.method} ${path} → ${a.status} ${a.body.slice(0, 200)}`).toMatch(/json|html/);
      }),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(bodyCase, async (c) => {
        requests++;
        const [method, path] = c.target.split(" ") as [string, string];
        const headers: Record<string, string> = { "content-type": c.contentType, authorization: c.authorization, accept: "application/json" };
        let payload: Buffer | string = c.body;
        if (c.encoding === "gzip-valid") {
          headers["content-encoding"] = "gzip";
          payload = gzipSync(c.body);
        } else if (c.encoding) headers["content-encoding"] = c.encoding;
        if (c.forwarded) headers["x-forwarded-for"] = c.forwarded;
        const a = await send(base, method, path, headers, payload);
        expectCleanError(a, `${c.target} (${JSON.stringify(c.body.slice(0, 40))}, ${c.contentType}, encoding ${c.encoding || "none"})`, cwd);
        if (a.status >= 400) expect(JSON.parse(a.body).error, `${c.target} → ${a.body.slice(0, 200)}`).toBeTruthy();
      }),
      { numRuns: 300 },
    );
    const raw = [
      "GET /status/bots/% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /%%% HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      "POST /api/v1/bots HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
      `POST /api/v1/silences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"reason"`,
      "GET /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for (const bytes of raw) {
      requests++;
      expectCleanError(await sendRaw(port, bytes), `raw ${JSON.stringify(bytes.slice(0, 60))}`, cwd);
    }

    // The process has answered everything it was sent; give its streams a moment to drain.
    await new Promise((r) => setTimeout(r, 300));
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ");
    console.log(`[errors] ${requests} malformed requests (${byStatus}); stderr ${stderr.length} bytes; ${stdout.split("\n").filter((l) => l.includes('"HTTP request')).length} error log lines`);
    expect(stderr, "stderr").toBe("");
    const notJson = stdout.split("\n").filter((l) => l.trim() && !l.startsWith("{"));
    expect(notJson.slice(0, 5), "stdout lines that are not pino's").toEqual([]);
  }, 120_000);
});

describe("the HTTP server's error handler", () => {
  const logs = new LogSink();
  let base: string;
  let close: () => void;
  const monitor = {
    bots: () => {
      throw new TypeError("cannot read the fleet at /opt/secretary-watch/src/monitor.ts:12");
    },
    get: () => undefined,
    status: () => undefined,
  } as unknown as Monitor;

  beforeAll(async () => {
    const app = createApp({ host: "127.0.0.1", port: 0, monitor, metrics: {} as Metrics, metricsToken: () => "metrics-token-errors-1f", logger: pino({ level: "debug" }, logs), live: () => true, ready: () => true });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const logLines = () => logs.text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; status?: number; path?: string; err?: { stack?: string } });

  it("when a path is not valid percent-encoding, then the answer is 400 JSON naming it, and one info line is logged", async () => {
    const before = logLines().length;
    const a = await send(base, "GET", "/status/bots/%", { accept: "application/json" });
    expect(a.status).toBe(400);
    expect(a.type).toContain("application/json");
    expect(JSON.parse(a.body)).toEqual({ error: expect.stringContaining("percent-encoding") });
    const lines = logLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, status: 400, msg: "HTTP request refused" });
  });

  it("when a browser asks for a page with a malformed path, then the answer is an HTML page without a stack", async () => {
    for (const path of ["/status/bots/%/badge.svg", "/status/bots/%E0%A4%A"]) {
      const a = await send(base, "GET", path, { accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
      expect(a.status, path).toBe(400);
      expect(a.type, path).toContain("text/html");
      expect(a.body, path).toContain("percent-encoding");
      expect(a.body, path).not.toMatch(LEAKS);
    }
  });

  it("when a route throws, then the answer is 500 {error: internal error} with nothing of the cause, and the cause is in one error line", async () => {
    const before = logLines().length;
    const a = await send(base, "GET", "/status");
    expect(a.status).toBe(500);
    expect(JSON.parse(a.body)).toEqual({ error: "internal error" });
    const lines = logLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, status: 500, msg: "HTTP request failed" });
    expect(lines[0]!.err?.stack).toContain("cannot read the fleet");
  });

  it("when the page / fails, then the answer is an HTML page, whatever the Accept header", async () => {
    const a = await send(base, "GET", "/", { accept: "*/*" });
    expect(a.status).toBe(500);
    expect(a.type).toContain("text/html");
    expect(a.body).toContain("internal error");
    expect(a.body).not.toContain("/opt/secretary-watch");
  });

  it("when a path matches no route, then the answer is 404 JSON for an API client and HTML for a browser", async () => {
    expect(JSON.parse((await send(base, "GET", "/nope", { accept: "*/*" })).body)).toEqual({ error: "not found" });
    const page = await send(base, "GET", "/nope", { accept: "text/html" });
    expect(page.status).toBe(404);
    expect(page.type).toContain("text/html");
  });

  it("when /metrics is asked without its token, then the answer is 401 JSON with WWW-Authenticate, and one warn line", async () => {
    const before = logLines().length;
    const a = await send(base, "GET", "/metrics", { authorization: "Bearer wrong" });
    expect(a.status).toBe(401);
    expect(JSON.parse(a.body)).toEqual({ error: expect.stringContaining("metrics token") });
    expect(a.authenticate).toContain("Bearer");
    const lines = logLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, status: 401 });
  });
});
