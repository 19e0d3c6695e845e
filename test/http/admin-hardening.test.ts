import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginLimiter } from "../../src/http/login-limiter.ts";
import type { Service } from "../../src/service.ts";
import { startTestService } from "../support/service-harness.ts";

const ADMIN = "admin-hardening-token-1a2b3c";

describe("the admin API under hostile input", () => {
  let service: Service;
  const call = async (method: string, path: string, token = ADMIN, body?: string) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", origin: "https://evil.example" },
      body,
    });
    const text = await res.text();
    let json: { error?: string; field?: string } | undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };

  beforeAll(async () => {
    // The Bot API is never reached here: nothing to sweep.
    ({ service } = await startTestService({ telegram: { apiRoot: "http://127.0.0.1:9" }, server: { adminToken: ADMIN } }, {}, undefined, { secretKey: "hardening-key" }));
  });
  afterAll(async () => {
    await service.stop();
  });

  it("when random paths (unicode, traversal, encoded slashes, huge names) are requested, then the answer is never a 5xx and always says what is wrong", async () => {
    const segment = fc.oneof(
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.constantFrom("..", "../..", "%2e%2e%2f%2e%2e", "..%2F..%2Fetc%2Fpasswd", "%00", "%ZZ", "a".repeat(5000), "anna/../../x", "__proto__", "constructor"),
    );
    const route = fc.constantFrom("/api/v1/bots/", "/api/v1/silences/", "/status/bots/", "/api/v1/bots/anna/", "/api/v1/");
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "PATCH", "DELETE", "POST", "PUT"), route, segment, async (method, base, seg) => {
        tried++;
        const path = base + (/%|\//.test(seg) ? seg : encodeURIComponent(seg));
        const r = await call(method, path, ADMIN, method === "GET" || method === "DELETE" ? undefined : "{}");
        expect(r.status, `${method} ${path}`).toBeLessThan(500);
        if (path.startsWith("/api/") && r.status >= 400) expect(r.json?.error, `${method} ${path} → ${r.text}`).toBeTruthy();
      }),
      { numRuns: 300 },
    );
    expect(tried).toBe(300);
  });

  it("when any response is read, then it carries no CORS grant (CORS is off)", async () => {
    for (const [method, path] of [["GET", "/status"], ["GET", "/api/v1/bots"], ["OPTIONS", "/api/v1/bots"]] as const) {
      const r = await call(method, path);
      expect(r.headers.get("access-control-allow-origin"), `${method} ${path}`).toBeNull();
      expect(r.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("when a silence's duration or end is out of bounds, then the answer is 400 naming the field, never a 5xx", async () => {
    const post = (body: Record<string, unknown>) => call("POST", "/api/v1/silences", ADMIN, JSON.stringify({ reason: "bounds", ...body }));
    const day = 86_400_000;
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
    for (const [body, field, text] of [
      [{ duration: "99999999d" }, "duration", "at most a year"],
      [{ duration: "366d" }, "duration", "at most a year"],
      [{ duration: "999999999999999999999d" }, "duration", "at most a year"],
      [{ duration: "0s" }, "duration", "longer than 0s"],
      [{ startsAt: iso(-2 * day), duration: "1h" }, "duration", "end in the past"],
      [{ startsAt: iso(300 * day), duration: "100d" }, "duration", "at most a year (365d) from now"],
      [{ endsAt: iso(-60_000) }, "endsAt", "in the future"],
      [{ endsAt: iso(400 * day) }, "endsAt", "at most a year (365d) from now"],
      [{ endsAt: "+275760-09-13T00:00:00.000Z" }, "endsAt", ""],
      [{ endsAt: "2026-02-30T00:00:00Z" }, "endsAt", ""],
      [{ startsAt: iso(2 * day), endsAt: iso(day) }, "endsAt", "after startsAt"],
    ] as const) {
      const r = await post(body);
      expect(r.status, `${JSON.stringify(body)} → ${r.text}`).toBe(400);
      expect(r.json?.field, JSON.stringify(body)).toBe(field);
      expect(r.json?.error, JSON.stringify(body)).toContain(text);
    }
    for (const body of [{ duration: "365d" }, { endsAt: iso(364 * day) }, { startsAt: iso(-day), duration: "2d" }]) {
      const r = await post(body);
      expect(r.status, `${JSON.stringify(body)} → ${r.text}`).toBe(201);
    }
  });

  it("when an address sends 20 wrong tokens, then its failures get 429 with Retry-After after the 10th, a valid token still gets 200, and every failure is counted", async () => {
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) answers.push((await call("GET", "/api/v1/bots", `guess-${i}`)).status);
    expect(answers).toEqual([...Array(10).fill(401), ...Array(10).fill(429)]);
    const refused = await call("GET", "/api/v1/bots", "guess-again");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.json?.error).toContain("too many failed admin logins");
    expect((await call("GET", "/api/v1/bots", ADMIN)).status).toBe(200);
    expect((await call("POST", "/api/v1/silences", ADMIN, JSON.stringify({ duration: "1h", reason: "still an admin" }))).status).toBe(201);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^secretary_admin_auth_failures_total 21$/m);
  });
});

describe("the admin API behind a reverse proxy (server.trustProxy)", () => {
  let service: Service;
  /** node:http, to choose the connection's local address: 127.0.0.1 is the trusted proxy, 127.0.0.2 is not. */
  const call = (from: string, token: string, forwardedFor?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        `${service.url}/api/v1/bots`,
        { localAddress: from, agent: false, headers: { authorization: `Bearer ${token}`, ...(forwardedFor && { "x-forwarded-for": forwardedFor }) } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode!));
        },
      );
      req.on("error", reject);
      req.end();
    });

  beforeAll(async () => {
    ({ service } = await startTestService(
      { telegram: { apiRoot: "http://127.0.0.1:9" }, server: { host: "127.0.0.1", adminToken: ADMIN, trustProxy: ["127.0.0.1"] } },
      {},
      undefined,
      { secretKey: "hardening-key" },
    ));
  });
  afterAll(async () => {
    await service.stop();
  });

  it("when a peer that is not a trusted proxy sends X-Forwarded-For, then it is ignored: changing it does not escape the limit", async () => {
    const answers: number[] = [];
    for (let i = 0; i < 11; i++) answers.push(await call("127.0.0.2", `guess-${i}`, `198.51.100.${i}`));
    expect(answers).toEqual([...Array(10).fill(401), 429]);
    expect(await call("127.0.0.2", ADMIN)).toBe(200);
  });

  it("when the trusted proxy forwards two clients, then each is limited on its own, and a forged left part of the chain does not change the client", async () => {
    const alice: number[] = [];
    // Alice forges a different first hop each time; the proxy appends her real address.
    for (let i = 0; i < 11; i++) alice.push(await call("127.0.0.1", `guess-${i}`, `10.66.0.${i}, 203.0.113.1`));
    expect(alice).toEqual([...Array(10).fill(401), 429]);
    expect(await call("127.0.0.1", "guess-bob", "203.0.113.2")).toBe(401);
    expect(await call("127.0.0.1", ADMIN, "203.0.113.1")).toBe(200);
  });
});

describe("LoginLimiter", () => {
  it("when the window passes, then the address may try again; other addresses are never affected", () => {
    let now = 0;
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) limiter.fail("10.0.0.1");
    expect(limiter.blockedFor("10.0.0.1")).toBe(1);
    expect(limiter.blockedFor("10.0.0.2")).toBe(0);
    now = 1000;
    expect(limiter.blockedFor("10.0.0.1")).toBe(0);
  });

  it("when more addresses fail than it tracks, then memory stays bounded", () => {
    const limiter = new LoginLimiter({ maxTracked: 100 });
    for (let i = 0; i < 10_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
    expect((limiter as unknown as { failures: Map<string, unknown> }).failures.size).toBeLessThanOrEqual(100);
  });
});
