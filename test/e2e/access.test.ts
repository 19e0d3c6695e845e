import { execFileSync } from "node:child_process";
import bcrypt from "bcrypt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { ensureDebianPackage } from "../support/debian.ts";
import { startTestService, until } from "../support/service-harness.ts";

const PLATFORM = "platform-admin-token-4d5e6f";
const CI = "ci-admin-token-7a8b9c";
const OPS_PASSWORD = "ops password ünïcode";
const WEB_PASSWORD = "htpasswd made this";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("named admin tokens and basic auth, through the service", () => {
  let sandbox: Sandbox;
  let service: Service;
  let webHash: string;

  const get = (path: string, authorization?: string) => fetch(`${service.url}${path}`, { headers: authorization ? { authorization } : {} });
  const admin = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const failures = async () => Number(/^secretary_http_auth_failures_total\{realm="secretary-watch"\} (\d+)$/m.exec(await (await get("/metrics")).text())?.[1]);

  beforeAll(async () => {
    // The real htpasswd -B writes $2y$ hashes; the service must take them as they are.
    const htpasswd = ensureDebianPackage("apache2-utils", "/usr/bin/htpasswd");
    webHash = execFileSync(htpasswd, ["-nbBC", "10", "web", WEB_PASSWORD], { encoding: "utf8" }).trim().split(":")[1]!;
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    ({ service } = await startTestService({
      telegram: { apiRoot: sandbox.url, timeout: "1s" },
      server: { adminTokens: { platform: PLATFORM, ci: CI }, auth: { users: { ops: bcrypt.hashSync(OPS_PASSWORD, 10), web: webHash } } },
      schedule: { interval: "1s" },
      bots: [{ name: "anna", token: "7000001:demo-anna-Xk2v9", username: "anna_secretary_bot", owner: { id: 123456789 }, businessConnectionId: "bc-anna", probeChats: [555000111] }],
    }));
    await until("anna's first sweep", async () => (await (await get("/status", basic("ops", OPS_PASSWORD))).json() as { bots: Array<{ checks: unknown[] }> }).bots[0]?.checks.length, 20_000);
  });
  afterAll(async () => {
    await service?.stop();
    await sandbox?.close();
  });

  it("when server.auth.users is set, then the page, /status, history and badges answer 401 with the Basic challenge without credentials", async () => {
    for (const path of ["/", "/bots/anna", "/status", "/status/bots/anna", "/status/bots/anna/history", "/status/bots/anna/uptime/24h.svg", "/status/bots/anna/badge.svg"]) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate"), path).toBe('Basic realm="secretary-watch", charset="UTF-8"');
    }
  });

  it("when the right user and password come, then the page and /status answer 200", async () => {
    const page = await get("/", basic("ops", OPS_PASSWORD));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("anna");
    expect((await get("/status", basic("ops", OPS_PASSWORD))).status).toBe(200);
  });

  it("when the hash was made by the real htpasswd -B, then its user logs in", async () => {
    expect(webHash).toMatch(/^\$2y\$10\$/);
    expect((await get("/status", basic("web", WEB_PASSWORD))).status).toBe(200);
  });

  it("when /healthz, /readyz and /metrics are asked without credentials, then they answer 200", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect((await get(path)).status, path).toBe(200);
  });

  it("when the password or the user is wrong, then 401, and each is counted in secretary_http_auth_failures_total", async () => {
    const before = await failures();
    expect((await get("/status", basic("ops", "wrong"))).status).toBe(401);
    expect((await get("/status", basic("nobody", OPS_PASSWORD))).status).toBe(401);
    expect(await failures()).toBe(before + 2);
  });

  it("when two named tokens each make a change, then the audit log names the token of each; basic credentials are no admin token", async () => {
    expect((await admin(PLATFORM, "POST", "/silences", { matchers: { name: "anna" }, duration: "1m", reason: "by platform" })).status).toBe(201);
    expect((await admin(CI, "POST", "/silences", { matchers: { name: "anna" }, duration: "1m", reason: "by ci" })).status).toBe(201);
    const { body } = await admin(CI, "GET", "/audit?limit=2");
    expect((body.audit as Array<{ tokenName: string; route: string }>).map((a) => [a.tokenName, a.route])).toEqual([
      ["ci", "/api/v1/silences"],
      ["platform", "/api/v1/silences"],
    ]);
    const res = await fetch(`${service.url}/api/v1/silences`, { headers: { authorization: basic("ops", OPS_PASSWORD) } });
    expect(res.status).toBe(401);
  });

  it("when access is updated at run time, then a new admin token and a new user work at once and the old ones are refused", async () => {
    service.access.update({ adminToken: "", adminTokens: { release: "release-token-1f2e" }, auth: { users: { dev: bcrypt.hashSync("dev pw", 4) } } });
    try {
      expect((await admin("release-token-1f2e", "GET", "/silences")).status).toBe(200);
      expect((await admin(PLATFORM, "GET", "/silences")).status).toBe(401);
      expect((await get("/status", basic("dev", "dev pw"))).status).toBe(200);
      expect((await get("/status", basic("ops", OPS_PASSWORD))).status).toBe(401);
    } finally {
      service.access.update({ adminToken: "", adminTokens: { platform: PLATFORM, ci: CI }, auth: { users: { ops: bcrypt.hashSync(OPS_PASSWORD, 4), web: webHash } } });
    }
  });

  it("when one address keeps failing, then it gets 429 with Retry-After, and the right password still passes at its next second's check", async () => {
    let blocked: Response | undefined;
    for (let i = 0; i < 12 && !blocked; i++) {
      const res = await get("/status", basic("ops", `wrong-${i}`));
      if (res.status === 429) blocked = res;
      else expect(res.status).toBe(401);
    }
    expect(blocked?.status).toBe(429);
    expect(Number(blocked?.headers.get("retry-after"))).toBeGreaterThan(0);
    // A blocked address has one password checked a second (login-limiter.ts' mayCheck): the next second's is the right one.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await get("/status", basic("ops", OPS_PASSWORD))).status).toBe(200);
  });
});
