/**
 * The attacker of test/faults/http-abuse.test.ts, run as a process of its own (`node http-attacker.ts
 * '<json>'`), so its CPU and memory are not the service's: it prints one JSON line of what it saw.
 *
 * Modes: `fuzz` (fuzzed requests over keep-alive node:http connections, framing cases on raw sockets),
 * `hold` (connections opened and held), `slow-headers` and `slow-body` (slowloris: one byte a second),
 * `oversized` (headers over 16 KiB, 10 MB bodies to every POST route).
 */
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { describeRequest, fuzzRequests, type Credentials, type FuzzRequest, type Route } from "./http-fuzz.ts";

export interface AttackInput {
  mode: "fuzz" | "hold" | "slow-headers" | "slow-body" | "oversized";
  url: string;
  routes: Route[];
  credentials: Credentials;
  /** fuzz: requests to send; hold and slow-*: connections. */
  count: number;
  seed?: number;
  /** fuzz: keep-alive connections. */
  connections?: number;
  /** hold and slow-*: how long to keep going at most. */
  holdMs?: number;
}

export interface AttackResult {
  sent: number;
  /** "2xx" … "5xx", "none" (closed or timed out without a status line). */
  byClass: Record<string, number>;
  byStatus: Record<string, number>;
  /** Every distinct (status, request kind) answered 5xx, with one request that caused it. */
  fiveXX: Array<{ status: number; request: string }>;
  errors: Record<string, number>;
  ms: number;
  /** fuzz: the request kinds that took longest in all, [kind, requests, total ms], longest first. */
  slowest?: Array<[string, number, number]>;
  /** hold and slow-*: ms after the start at which the server closed each connection (absent: still open at the end). */
  closedAtMs?: number[];
  stillOpen?: number;
}

const ANSWER_TIMEOUT_MS = 15_000;
/** Raw requests under way at once, beside the keep-alive connections. */
const RAW_SOCKETS = 32;

class Tally {
  readonly r: AttackResult = { sent: 0, byClass: {}, byStatus: {}, fiveXX: [], errors: {}, ms: 0 };
  private readonly seen = new Set<string>();
  status(code: number | undefined, what: () => string, key: string) {
    this.r.sent++;
    const cls = code === undefined ? "none" : `${Math.floor(code / 100)}xx`;
    this.r.byClass[cls] = (this.r.byClass[cls] ?? 0) + 1;
    if (code !== undefined) this.r.byStatus[code] = (this.r.byStatus[code] ?? 0) + 1;
    if (code !== undefined && code >= 500 && !this.seen.has(`${code} ${key}`)) {
      this.seen.add(`${code} ${key}`);
      this.r.fiveXX.push({ status: code, request: what() });
    }
  }
  private readonly took = new Map<string, [number, number]>();
  time(key: string, ms: number) {
    const t = this.took.get(key) ?? [0, 0];
    this.took.set(key, [t[0] + 1, t[1] + ms]);
  }
  slowest(): Array<[string, number, number]> {
    return [...this.took].map(([k, [n, ms]]): [string, number, number] => [k, n, Math.round(ms)]).sort((a, b) => b[2] - a[2]).slice(0, 12);
  }
  error(err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    this.r.errors[code] = (this.r.errors[code] ?? 0) + 1;
  }
}

const target = (url: string) => new URL(url);

/** One request over the keep-alive agent; resolves with the status, or undefined on a broken connection. */
function sendHttp(url: URL, agent: Agent, r: Extract<FuzzRequest, { kind: "http" }>, tally: Tally): Promise<number | undefined> {
  return new Promise((resolve) => {
    let req: ReturnType<typeof request>;
    try {
      const headers: Record<string, string> = { ...r.headers };
      if (r.body && !r.chunked) headers["content-length"] = String(r.body.length);
      req = request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent, timeout: ANSWER_TIMEOUT_MS }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
        res.on("error", () => resolve(res.statusCode));
      });
    } catch (err) {
      // node:http refused to send it (a character it will not put on the wire): not the server's doing.
      tally.error(err);
      resolve(undefined);
      return;
    }
    req.on("timeout", () => req.destroy(new Error("no answer within 15 s")));
    req.on("error", (err) => {
      tally.error(err);
      resolve(undefined);
    });
    if (r.body) req.end(r.body);
    else req.end();
  });
}

/** Raw bytes on a socket of their own: the status of the first answer, or undefined when none came. */
function sendRaw(url: URL, bytes: Buffer, tally: Tally, waitMs = 5000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let head = "";
    let done = false;
    const finish = (code: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => finish(undefined), waitMs);
    socket.on("connect", () => socket.write(bytes, () => socket.end()));
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) finish(Number(m[1]));
      else if (head.length > 20) finish(-1);
    });
    socket.on("error", (err) => {
      if ((err as NodeJS.ErrnoException).code !== "ECONNRESET" && (err as NodeJS.ErrnoException).code !== "EPIPE") tally.error(err);
    });
    socket.on("close", () => finish(undefined));
  });
}

async function fuzz(input: AttackInput): Promise<AttackResult> {
  const url = target(input.url);
  const tally = new Tally();
  const connections = input.connections ?? 8;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const requests = fuzzRequests(input.routes, input.credentials, input.count, input.seed ?? 1);
  // Raw requests open a socket each and may wait for the server's timeouts: they go to a pool of their
  // own, so they never stall the keep-alive connections.
  const rawInFlight = new Set<Promise<void>>();
  const one = async (r: FuzzRequest) => {
    const began = performance.now();
    const code = r.kind === "http" ? await sendHttp(url, agent, r, tally) : await sendRaw(url, r.bytes, tally);
    const key = r.kind === "raw" ? `raw ${r.what}` : `${r.method} ${r.path.split("?")[0]!.slice(0, 40)}`;
    tally.time(r.kind === "raw" ? key : `${r.method} ${r.path.split(/[?#]/)[0]!.split("/").slice(0, 4).join("/").slice(0, 40)} ${code}`, performance.now() - began);
    tally.status(code === -1 ? undefined : code, () => describeRequest(r), key);
  };
  const worker = async () => {
    for (;;) {
      const next = requests.next();
      if (next.done) return;
      if (next.value.kind === "http") {
        await one(next.value);
        continue;
      }
      while (rawInFlight.size >= RAW_SOCKETS) await Promise.race(rawInFlight);
      const sent: Promise<void> = one(next.value).then(() => void rawInFlight.delete(sent));
      rawInFlight.add(sent);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await Promise.all(rawInFlight);
  agent.destroy();
  return { ...tally.r, slowest: tally.slowest() };
}

/** Opens `count` sockets (in batches, as a client library would) and calls `start` on each. */
async function openAll(url: URL, count: number, start: (s: Socket, i: number) => void, tally: Tally): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        new Promise<void>((resolve) => {
          const s = connect(Number(url.port), url.hostname, () => {
            start(s, i + j);
            resolve();
          });
          s.on("error", (err) => {
            tally.error(err);
            resolve();
          });
          sockets.push(s);
        }),
      ),
    );
  }
  return sockets;
}

/**
 * Holds `count` connections for up to holdMs, each fed by `feed` once a second (slowloris), and records
 * when the server closed each and the status it answered (a 408, or nothing).
 */
async function holdOpen(input: AttackInput, first: (i: number) => string, feed: ((i: number) => string) | undefined): Promise<AttackResult> {
  const url = target(input.url);
  const tally = new Tally();
  const began = Date.now();
  const closedAt: number[] = [];
  const answered = new Map<Socket, string>();
  const sockets = await openAll(
    url,
    input.count,
    (s, i) => {
      if (first(i)) s.write(first(i));
      s.on("data", (c: Buffer) => answered.set(s, (answered.get(s) ?? "") + c.toString("latin1")));
      s.on("close", () => {
        closedAt.push(Date.now() - began);
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(answered.get(s) ?? "");
        tally.status(m ? Number(m[1]) : undefined, () => `${input.mode}: ${first(i).slice(0, 120)}`, input.mode);
      });
    },
    tally,
  );
  const ticker = feed
    ? setInterval(() => {
        sockets.forEach((s, i) => {
          if (!s.destroyed && s.writable) s.write(feed(i));
        });
      }, 1000)
    : undefined;
  const holdMs = input.holdMs ?? 15_000;
  while (Date.now() - began < holdMs && closedAt.length < sockets.length) await new Promise((r) => setTimeout(r, 100));
  if (ticker) clearInterval(ticker);
  const stillOpen = sockets.filter((s) => !s.destroyed).length;
  for (const s of sockets) s.removeAllListeners("close").destroy();
  return { ...tally.r, closedAtMs: closedAt, stillOpen };
}

/** Headers over 16 KiB to every route, and a 10 MB body to every POST route (each with a valid token). */
async function oversized(input: AttackInput): Promise<AttackResult> {
  const url = target(input.url);
  const tally = new Tally();
  const c = input.credentials;
  const path = (r: Route) => r.path.replace(/:(\w+)/g, c.bots[0] ?? "x");
  const big = "h".repeat(20 * 1024);
  const body = Buffer.alloc(10 * 1024 * 1024, 0x61);
  for (let round = 0; round < input.count; round++) {
    for (const r of input.routes) {
      const head = `${r.method} ${path(r)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.adminToken}\r\nX-Big: ${big}\r\nConnection: close\r\n\r\n`;
      tally.status(await sendRaw(url, Buffer.from(head), tally), () => `${r.method} ${r.path} with a 20 KiB header`, `header ${r.method} ${r.path}`);
      tally.status(await sendRaw(url, Buffer.from(`${r.method} ${path(r)} HTTP/1.1\r\nHost: x\r\nCookie: ${"k=v; ".repeat(4000)}\r\nConnection: close\r\n\r\n`), tally), () => `${r.method} ${r.path} with a 20 KB cookie`, `cookie ${r.method} ${r.path}`);
      if (r.method !== "POST" && r.method !== "PUT" && r.method !== "PATCH") continue;
      const post = `${r.method} ${path(r)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.adminToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      tally.status(await sendRaw(url, Buffer.concat([Buffer.from(post), body]), tally, 10_000), () => `${r.method} ${r.path} with a 10 MB body`, `body ${r.method} ${r.path}`);
    }
  }
  return tally.r;
}

export async function attack(input: AttackInput): Promise<AttackResult> {
  const began = Date.now();
  const slowTarget = (i: number) => input.routes[i % input.routes.length]!.path.replace(/:(\w+)/g, input.credentials.bots[0] ?? "x");
  let result: AttackResult;
  if (input.mode === "fuzz") result = await fuzz(input);
  else if (input.mode === "hold") result = await holdOpen(input, (i) => (i % 2 === 0 ? "" : `GET ${slowTarget(i)} HTTP/1.1\r\n`), undefined);
  else if (input.mode === "slow-headers") result = await holdOpen(input, (i) => `GET ${slowTarget(i)} HTTP/1.1\r\nHost: x\r\nX-Slow: `, () => "a");
  else if (input.mode === "slow-body")
    result = await holdOpen(
      input,
      () => `POST /api/v1/silences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${input.credentials.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"reason":"`,
      () => "a",
    );
  else result = await oversized(input);
  return { ...result, ms: Date.now() - began };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const input = JSON.parse(process.argv[2]!) as AttackInput;
  attack(input).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
