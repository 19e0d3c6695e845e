import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import bcrypt from "bcrypt";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Access } from "../../src/http/access.ts";
import { adminAuth } from "../../src/http/admin-auth.ts";
import { BASIC_CHALLENGE, basicAuth } from "../../src/http/basic-auth.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { LoginLimiter } from "../../src/http/login-limiter.ts";

const OPS_PASSWORD = "correct horse battery";
const OPS_HASH = bcrypt.hashSync(OPS_PASSWORD, 4);
const server = (over: Partial<ConstructorParameters<typeof Access>[0]> = {}) => ({ adminToken: "", adminTokens: {}, auth: { users: {} }, ...over });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("Access", () => {
  it("when tokens are named, then each one gives its name, server.adminToken gives \"admin\", and any other none", () => {
    const access = new Access(server({ adminToken: "single", adminTokens: { platform: "p-token", ci: "c-token" } }));
    expect(["single", "p-token", "c-token", "wrong", ""].map((t) => access.adminTokenName(t))).toEqual(["admin", "platform", "ci", undefined, undefined]);
    expect(new Access(server()).adminEnabled).toBe(false);
  });

  it("when update is called, then the new token works at once and the old one is refused", () => {
    const access = new Access(server({ adminTokens: { ci: "old-token" } }));
    access.update(server({ adminTokens: { ci: "new-token" } }));
    expect(access.adminTokenName("new-token")).toBe("ci");
    expect(access.adminTokenName("old-token")).toBeUndefined();
  });

  it("when a user logs in, then the right password passes, a wrong one or an unknown user does not, and a $2y$ hash (htpasswd -B) works", async () => {
    const access = new Access(server({ auth: { users: { ops: OPS_HASH, web: OPS_HASH.replace(/^\$2b\$/, "$2y$") } } }));
    expect(await access.checkUser("ops", OPS_PASSWORD)).toBe(true);
    expect(await access.checkUser("web", OPS_PASSWORD)).toBe(true);
    expect(await access.checkUser("ops", "wrong")).toBe(false);
    expect(await access.checkUser("nobody", OPS_PASSWORD)).toBe(false);
  });

  it("when the same login comes again, then bcrypt runs once; a wrong password after it is still compared and refused", async () => {
    const compare = vi.spyOn(bcrypt, "compare");
    try {
      const access = new Access(server({ auth: { users: { ops: OPS_HASH } } }));
      for (let i = 0; i < 5; i++) expect(await access.checkUser("ops", OPS_PASSWORD)).toBe(true);
      expect(compare).toHaveBeenCalledTimes(1);
      expect(await access.checkUser("ops", `${OPS_PASSWORD}!`)).toBe(false);
      expect(await access.checkUser("ops", `${OPS_PASSWORD}!`)).toBe(false);
      expect(compare).toHaveBeenCalledTimes(3);
    } finally {
      compare.mockRestore();
    }
  });

  it("when the user is unknown, then a hash is still compared (the answer takes what a wrong password takes)", async () => {
    const compare = vi.spyOn(bcrypt, "compare");
    try {
      expect(await new Access(server({ auth: { users: { ops: OPS_HASH } } })).checkUser("nobody", "x")).toBe(false);
      expect(compare).toHaveBeenCalledTimes(1);
    } finally {
      compare.mockRestore();
    }
  });

  it("when update removes a user, then a login remembered before is refused", async () => {
    const access = new Access(server({ auth: { users: { ops: OPS_HASH } } }));
    expect(await access.checkUser("ops", OPS_PASSWORD)).toBe(true);
    access.update(server({ auth: { users: { dev: OPS_HASH } } }));
    expect(await access.checkUser("ops", OPS_PASSWORD)).toBe(false);
    expect(await access.checkUser("dev", OPS_PASSWORD)).toBe(true);
  });
});

describe("the auth middleware over loopback HTTP", () => {
  const access = new Access(server({ adminTokens: { platform: "p-token" }, auth: { users: { ops: OPS_HASH } } }));
  const failures = { admin: 0, basic: 0 };
  let http: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use("/api", adminAuth({ access, onAuthFailure: () => failures.admin++, limiter: new LoginLimiter({ maxFailures: 3 }) }));
    app.get("/api/who", (_req, res) => res.json({ token: res.locals.tokenName }));
    app.use(basicAuth({ access, onAuthFailure: () => failures.basic++, limiter: new LoginLimiter({ maxFailures: 3 }) }));
    app.get("/page", (_req, res) => res.send("fleet"));
    app.use(errorHandler(pino({ level: "silent" })));
    http = app.listen(0, "127.0.0.1");
    await new Promise((r) => http.once("listening", r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  const get = (path: string, authorization?: string) => fetch(`${url}${path}`, { headers: authorization ? { authorization } : {} });

  it("when the page is asked without credentials, then 401 with the Basic challenge, not counted as a failed login", async () => {
    const res = await get("/page");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(BASIC_CHALLENGE);
    expect(failures.basic).toBe(0);
  });

  it("when the right user and password come, then 200; a wrong password, 401 and counted", async () => {
    expect(await (await get("/page", basic("ops", OPS_PASSWORD))).text()).toBe("fleet");
    const wrong = await get("/page", basic("ops", "nope"));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe(BASIC_CHALLENGE);
    expect(failures.basic).toBe(1);
  });

  it("when an address fails too often, then 429 with Retry-After, and the right password still passes", async () => {
    for (let i = 0; i < 3; i++) await get("/page", basic("ops", "nope"));
    const blocked = await get("/page", basic("ops", "nope"));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await get("/page", basic("ops", OPS_PASSWORD))).status).toBe(200);
  });

  it("when a named admin token is used, then the route sees its name; after update, the old token is refused with a Bearer challenge", async () => {
    expect(await (await get("/api/who", "Bearer p-token")).json()).toEqual({ token: "platform" });
    access.update(server({ adminTokens: { release: "r-token" }, auth: { users: { ops: OPS_HASH } } }));
    expect(await (await get("/api/who", "Bearer r-token")).json()).toEqual({ token: "release" });
    const old = await get("/api/who", "Bearer p-token");
    expect(old.status).toBe(401);
    expect(old.headers.get("www-authenticate")).toContain("Bearer");
    expect(failures.admin).toBe(1);
  });

  it("when update removes every admin token, then the admin API answers 404 (as if it were not there)", async () => {
    access.update(server({ auth: { users: { ops: OPS_HASH } } }));
    expect((await get("/api/who", "Bearer r-token")).status).toBe(404);
  });
});
