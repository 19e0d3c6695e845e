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

  it("when an address keeps sending wrong tokens, then after 10 failures it gets 429 with Retry-After, even with the right token, and failures are counted", async () => {
    for (let i = 0; i < 10; i++) expect((await call("GET", "/api/v1/bots", `guess-${i}`)).status).toBe(401);
    const blocked = await call("GET", "/api/v1/bots", ADMIN);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(blocked.json?.error).toContain("too many failed admin logins");
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^secretary_admin_auth_failures_total 10$/m);
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
