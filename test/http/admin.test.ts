import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { storedState, tokensStored } from "../support/stored-state.ts";
import { testSql } from "../support/test-sql.ts";
import { startTestService, until } from "../support/service-harness.ts";

const ADMIN = "admin-token-for-tests-9f8e7d";
const SECRET_KEY = "state-encryption-passphrase-3c2b1a";
const NO_STARS = { token: "7000011:demo-no-stars-Gh2b1", username: "no_stars_secretary_bot", owner: { id: 100000011 }, businessConnectionId: "bc-no-stars" };

describe("the admin API", () => {
  let sandbox: Sandbox;
  let service: Service;
  let dir: string;

  const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
    const res = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    const started = await startTestService({
      telegram: { apiRoot: sandbox.url, timeout: "1s" },
      server: { adminToken: ADMIN },
      schedule: { interval: "1s" },
      bots: [{ name: "anna", token: "7000001:demo-anna-Xk2v9", username: "anna_secretary_bot", owner: { id: 123456789 }, businessConnectionId: "bc-anna", probeChats: [555000111] }],
      // store.secretKey is set below through the harness's store override
    }, {}, undefined, { secretKey: SECRET_KEY });
    service = started.service;
    dir = started.dir;
  });
  afterAll(async () => {
    await service.stop();
    await sandbox.close();
  });

  it("when the admin token is missing or wrong, then every route answers 401 with WWW-Authenticate", async () => {
    for (const [method, path] of [["GET", "/bots"], ["POST", "/bots"], ["DELETE", "/silences/x"]] as const) {
      const r = await call(method, path, undefined, "wrong");
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toContain("Bearer");
      expect(r.body.error).toContain("admin token");
    }
  });

  it("when the scheme is written in another case, then the token is still accepted (schemes are case-insensitive)", async () => {
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const res = await fetch(`${service.url}/api/v1/bots`, { headers: { authorization: `${scheme} ${ADMIN}` } });
      expect(res.status, scheme).toBe(200);
    }
    const wrong = await fetch(`${service.url}/api/v1/bots`, { headers: { authorization: `bearer wrong` } });
    expect(wrong.status).toBe(401);
  });

  it("when bots are listed, then config bots show with source config and a masked token", async () => {
    const r = await call("GET", "/bots");
    expect(r.status).toBe(200);
    expect(r.body.bots).toEqual([expect.objectContaining({ name: "anna", source: "config", token: "7000001:****", username: "anna_secretary_bot" })]);
  });

  it("when a bot is registered, then it is answered 201 and swept at once, without a restart", async () => {
    const r = await call("POST", "/bots", { name: "kira", ...NO_STARS, labels: { tier: "pro" } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: "kira", source: "api", token: "7000011:****", labels: { tier: "pro" } });
    await until("kira's first sweep", () => (service.monitor.status("kira") ? true : undefined), 3000);
    expect(service.monitor.status("kira")!.health).toBe("degraded"); // the demo's no-stars bot lacks Gifts/Stars rights
    const got = await call("GET", "/bots/kira");
    expect(got.body.status.checks.find((c: { check: string }) => c.check === "rights").status).toBe("fail");
  });

  it.each([
    [{ name: "Bad Name", ...NO_STARS }, "name"],
    [{ name: "x1", token: NO_STARS.token, owner: { id: 1 } }, "username"],
    [{ name: "x2", ...NO_STARS, owner: { id: -5 } }, "owner.id"],
    [{ name: "x3", ...NO_STARS, colour: "red" }, "colour"],
    [{ name: "x4", ...NO_STARS, checks: { webhook: { mode: "sometimes" } } }, "checks.webhook.mode"],
  ])("when a registration is invalid (%j), then 400 names the field %s", async (body, field) => {
    const r = await call("POST", "/bots", body);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
    expect(r.body.error).toContain(field);
  });

  it("when a name is taken, then 409 names the field", async () => {
    expect((await call("POST", "/bots", { name: "anna", ...NO_STARS })).body).toEqual({ error: 'a bot named "anna" already exists', field: "name" });
    expect((await call("POST", "/bots", { name: "anna", ...NO_STARS })).status).toBe(409);
  });

  it("when ?verify=true and the token is revoked, then 400 names the token and nothing is stored", async () => {
    const r = await call("POST", "/bots?verify=true", { name: "boris", token: "7000002:demo-revoked-Qm4t1", username: "revoked_secretary_bot", owner: { id: 100000002 } });
    expect(r).toMatchObject({ status: 400, body: { field: "token" } });
    expect(r.body.error).toContain("401");
    expect((await call("GET", "/bots/boris")).status).toBe(404);
  });

  it("when ?verify=true and the token belongs to another bot, then 400 names the username", async () => {
    const r = await call("POST", "/bots?verify=true", { name: "imp", ...NO_STARS, username: "someone_else_bot" });
    expect(r).toMatchObject({ status: 400, body: { field: "username", error: "username: the token belongs to @no_stars_secretary_bot, not @someone_else_bot" } });
  });

  it("when an API bot is patched, then the change applies; config bots answer 409 and unknown ones 404", async () => {
    expect((await call("PATCH", "/bots/kira", { labels: { tier: "vip" } })).body.labels).toEqual({ tier: "vip" });
    expect((await call("PATCH", "/bots/kira", { owner: { id: "x" } })).body.field).toBe("owner.id");
    expect((await call("PATCH", "/bots/anna", { labels: {} })).status).toBe(409);
    expect((await call("PATCH", "/bots/nobody", { labels: {} })).status).toBe(404);
    expect((await call("PATCH", "/bots/kira", "[1,2]")).body.field).toBe("(body)");
  });

  it("when a sweep is requested, then it runs now and returns the results", async () => {
    const r = await call("POST", "/bots/anna/run");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "anna", health: "healthy" });
    expect(r.body.checks.map((c: { check: string }) => c.check)).toContain("webhook");
  });

  it("when a business connection id is recorded for a config bot, then it is used and kept in the store", async () => {
    const r = await call("PUT", "/bots/anna/business-connection", { id: "bc-anna" });
    expect(r).toMatchObject({ status: 200, body: { businessConnectionId: "bc-anna" } });
    expect(service.store.connections.get("anna")).toBe("bc-anna");
    expect((await call("PUT", "/bots/anna/business-connection", { id: "" })).body.field).toBe("id");
  });

  it("when a change that changes nothing is made again, then its answer comes once its audit line is committed (it is the newest in /audit)", async () => {
    expect((await call("PUT", "/bots/anna/business-connection", { id: "bc-again" })).status).toBe(200);
    // The same id again writes no state; its audit line alone must reach the database before the answer.
    // A slow commit makes an early answer visible: every insert of an audit line takes 300 ms (PostgreSQL,
    // whose commits are asynchronous; SQLite commits before the handler goes on, and has no sleep to add).
    const sql = await testSql(dir);
    try {
      await sql.slowInserts("audit_log", 300);
      // The newest line before the change is another route's: a silence made and taken back.
      const silence = await call("POST", "/silences", { matchers: { name: "anna" }, duration: "1m", reason: "before" });
      expect((await call("DELETE", `/silences/${silence.body.id}`)).status).toBe(204);
      expect((await call("PUT", "/bots/anna/business-connection", { id: "bc-again" })).status).toBe(200);
      expect((await call("GET", "/audit?limit=1")).body.audit[0]).toMatchObject({ route: "/api/v1/bots/:name/business-connection", bot: "anna" });
    } finally {
      await sql.close();
    }
  });

  it("when silences are created, listed and deleted, then each answer says so; bad ones name the field", async () => {
    const created = await call("POST", "/silences", { matchers: { name: "kira" }, duration: "1h", reason: "migrating kira" });
    expect(created.status).toBe(201);
    expect((await call("GET", "/silences")).body.silences).toEqual([expect.objectContaining({ id: created.body.id, active: true, reason: "migrating kira" })]);
    expect((await call("POST", "/silences", { reason: "x", duration: "1h", endsAt: "2030-01-01T00:00:00Z" })).body.field).toBe("endsAt");
    expect((await call("POST", "/silences", { duration: "1h" })).body.field).toBe("reason");
    expect((await call("DELETE", `/silences/${created.body.id}`)).status).toBe(204);
    expect((await call("DELETE", `/silences/${created.body.id}`)).status).toBe(404);
  });

  it("when a body is not JSON or too large, then 400 / 413 name the body", async () => {
    expect((await call("POST", "/bots", "{not json")).body).toEqual({ error: "(body): not valid JSON", field: "(body)" });
    const big = await call("POST", "/bots", JSON.stringify({ name: "x", pad: "a".repeat(70_000) }));
    expect(big).toMatchObject({ status: 413, body: { field: "(body)" } });
  });

  it("when random bodies are thrown at every write route, then the answer is never a 5xx and every 4xx names a field", async () => {
    const routes: Array<[string, string]> = [
      ["POST", "/bots"],
      ["PATCH", "/bots/kira"],
      ["PUT", "/bots/anna/business-connection"],
      ["POST", "/silences"],
    ];
    const bodies = fc.oneof(
      fc.json(),
      fc.string(),
      fc.dictionary(fc.constantFrom("name", "token", "username", "owner", "labels", "checks", "probeChats", "id", "matchers", "duration", "reason", "endsAt", fc.string() as never), fc.anything({ maxDepth: 2 })).map((o) => JSON.stringify(o)),
      fc.record({ name: fc.string(), token: fc.string(), username: fc.string(), owner: fc.record({ id: fc.oneof(fc.integer(), fc.string()) }) }).map((o) => JSON.stringify(o)),
    );
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodies, async ([method, path], body) => {
        tried++;
        const r = await call(method, path, body);
        expect(r.status, `${method} ${path} ${body}`).toBeLessThan(500);
        if (r.status >= 400) expect(typeof r.body.field, `${method} ${path} ${body} → ${JSON.stringify(r.body)}`).toBe("string");
      }),
      { numRuns: 400 },
    );
    expect(tried).toBe(400);
  });

  it("when an API bot is deleted, then it is no longer swept and its metric series are gone; config bots answer 409", async () => {
    expect((await call("POST", "/bots", { name: "temp", ...NO_STARS })).status).toBe(201);
    await until("temp's first sweep", () => (service.monitor.status("temp") ? true : undefined), 3000);
    expect(await (await fetch(`${service.url}/metrics`)).text()).toContain('bot="temp"');
    expect((await call("DELETE", "/bots/temp")).status).toBe(204);
    expect((await call("GET", "/bots/temp")).status).toBe(404);
    expect(await (await fetch(`${service.url}/metrics`)).text()).not.toContain('bot="temp"');
    expect(service.scheduler.has("temp")).toBe(false);
    expect((await call("DELETE", "/bots/anna")).status).toBe(409);
  });

  it("when the database is read (SQLite: the file and its write-ahead log; PostgreSQL: every table), then no registered token is in it", async () => {
    await service.store.flush();
    expect(Object.keys((await storedState(dir)).bots)).toContain("kira");
    // The search sees what is stored in plain text (the bot's username, in its config): a token would be found.
    expect(await tokensStored(dir, [NO_STARS.username])).not.toEqual([]);
    // Every token the service was given (the API bots' sealed, the config bot's never stored), in every form.
    expect(await tokensStored(dir, [NO_STARS.token, "7000001:demo-anna-Xk2v9", "7000002:demo-revoked-Qm4t1"])).toEqual([]);
  });
});
