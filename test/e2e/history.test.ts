import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import type { Service } from "../../src/service.ts";
import { cli } from "../support/cli.ts";
import { botToken, botUsername, control, fleetBots, healthyWorldSpec, PROBE } from "../support/healthy-fleet.ts";
import { httpReceiver, type HttpReceiver } from "../support/http-receiver.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { startTestService, until } from "../support/service-harness.ts";
import { testStore } from "../support/test-store.ts";

/**
 * Where people read the history (README, "HTTP endpoints", "Admin API", "Command line"), on the real
 * service over HTTP: a bot of the sandbox breaks, its alert fires, it is mended, and every reader tells
 * the same incident.
 */

const ADMIN = "admin-token-history-e2e-5d4c3b";
const SECRET_KEY = "history-e2e-secret-key-8a7b6c";
/** Secret halves of the tokens in play: none may appear in any answer. */
const SECRETS = [ADMIN, SECRET_KEY, "healthy-0-Qa1", "healthy-1-Qa1", "healthy-2-Qa1"];

type Json = Record<string, any>;

/** An incident without its notifications, which grow while the broken channel is retried. */
const withoutNotifications = ({ notifications: _, ...rest }: Json) => rest;

describe("the history readers on a running service", () => {
  let sandbox: Sandbox;
  let capture: HttpReceiver;
  let broken: HttpReceiver;
  let service: Service;
  let dir: string;
  let configFile: string;
  const seen: string[] = [];
  /** The incident of bot-0, once resolved, as the history endpoint first told it. */
  let incident: Json;
  /** bot-0 in /status while its alert was firing. */
  let firing: Json;

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${service.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    seen.push(text);
    return { status: res.status, text, body: res.headers.get("content-type")?.includes("json") ? (JSON.parse(text) as Json) : undefined };
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", "x-forwarded-for": "203.0.113.9" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    seen.push(text);
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
  };
  const statusOf = async (name: string) => ((await get("/status")).body!.bots as Json[]).find((b) => b.name === name)!;

  beforeAll(async () => {
    sandbox = await startSandbox({ world: parseWorld(healthyWorldSpec(3)) });
    capture = await httpReceiver({ status: 200 });
    broken = await httpReceiver({ status: 500 });
    const config = {
      telegram: { apiRoot: sandbox.url, timeout: "300ms" },
      server: { adminToken: ADMIN },
      schedule: { interval: "500ms" },
      alerts: {
        failAfter: 2,
        recoverAfter: 1,
        channels: { capture: { type: "webhook", url: capture.url }, broken: { type: "webhook", url: broken.url } },
      },
      bots: fleetBots(2),
    };
    const started = await startTestService(config, { heartbeatMs: 200, outbox: { baseBackoffMs: 100, maxBackoffMs: 200 } }, undefined, { secretKey: SECRET_KEY });
    service = started.service;
    dir = started.dir;
    // The same config as a file for the CLI (JSON is YAML), naming the service's database.
    configFile = join(dir, "secretary-watch.yaml");
    writeFileSync(configFile, JSON.stringify({ ...config, store: { ...(await testStore(dir)), secretKey: SECRET_KEY } }));
    await until("both bots healthy", async () => ((await get("/status")).body!.bots as Json[]).every((b) => b.health === "healthy") || undefined, 10_000);

    // bot-0 breaks: its token is revoked; the alert fires after two failing sweeps, and it is mended.
    await control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { revoked: true });
    firing = await until("bot-0's incident in /status", async () => {
      const b = await statusOf("bot-0");
      return b.incident ? b : undefined;
    }, 10_000);
    await until("the firing notification", () => capture.requests.length > 0 || undefined, 5000);
    await control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { revoked: false });
    incident = await until("the incident to resolve", async () => {
      const h = (await get("/status/bots/bot-0/history")).body!;
      return h.incidents[0]?.end ? h.incidents[0] : undefined;
    }, 10_000);
    await until("the resolved notification and a failed attempt on the broken channel", async () => {
      const { body } = await get("/status/bots/bot-0/history");
      const told = body!.incidents[0].notifications as Json[];
      return (told.some((n) => n.kind === "resolved" && n.channel === "capture") && told.some((n) => n.channel === "broken" && n.result === "failed")) || undefined;
    }, 10_000);
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await sandbox?.close();
    await capture?.close();
    await broken?.close();
  });

  it("when the alert fired, then /status carried the open incident, starting at the first failing sweep, with the checks that failed", () => {
    expect(firing.health).toBe("down");
    expect(firing.incident).toMatchObject({ id: `bot-0@${firing.since}`, bot: "bot-0", start: firing.since, end: null, worst: "down", silenced: false });
    expect(firing.incident.start).toBe(firing.alert.startsAt);
    expect(Date.parse(firing.incident.firedAt)).toBeGreaterThan(Date.parse(firing.incident.start));
    expect(firing.incident.checks).toEqual([expect.objectContaining({ check: "token", status: "fail" })]);
  });

  it("when the bot is mended, then its incident has ended, lists every notification, and /status shows no open incident", async () => {
    expect(incident.id).toBe(firing.incident.id);
    expect(incident.start).toBe(firing.incident.start);
    expect(Date.parse(incident.end)).toBeGreaterThan(Date.parse(incident.start));
    const { body } = await get("/status/bots/bot-0/history");
    const told = body!.incidents[0].notifications as Json[];
    expect(told).toContainEqual({ channel: "capture", kind: "firing", at: expect.any(String), result: "sent" });
    expect(told).toContainEqual({ channel: "capture", kind: "resolved", at: expect.any(String), result: "sent" });
    expect(told).toContainEqual(expect.objectContaining({ channel: "broken", kind: "firing", result: "failed" }));
    const bot0 = await statusOf("bot-0");
    expect(bot0.incident).toBeNull();
    expect((await get("/status/bots/bot-0")).body!.incident).toBeNull();
  });

  it("when /status is read, then bot-0's uptime is below 1 in every window, bot-1's is 1", async () => {
    const bot0 = await statusOf("bot-0");
    const bot1 = await statusOf("bot-1");
    for (const window of ["24h", "7d", "30d", "90d"]) {
      expect(bot0.uptime[window], window).toBeGreaterThan(0);
      expect(bot0.uptime[window], window).toBeLessThan(1);
      expect(bot1.uptime[window], window).toBe(1);
    }
    expect((await get("/status/bots/bot-0")).body!.uptime["24h"]).toBeLessThan(1);
  });

  it("when bot-0's history is read, then its health has a down span from the incident's start, and the time before its first sweep is a gap", async () => {
    const { status, body } = await get("/status/bots/bot-0/history");
    expect(status).toBe(200);
    const h = body!;
    expect(Date.parse(h.to) - Date.parse(h.from)).toBe(7 * 86_400_000);
    const down = (h.health as Json[]).filter((s) => s.health === "down");
    expect(down).toHaveLength(1);
    expect(down[0]!.from).toBe(incident.start);
    expect(Date.parse(down[0]!.to)).toBeGreaterThan(Date.parse(down[0]!.from));
    expect((h.health as Json[]).map((s) => s.health)).toEqual(["healthy", "down", "healthy"]);
    expect(h.gaps[0].from).toBe(h.from);
    expect(h.gaps[0].to).toBe(h.health[0].from);
    expect(h.uptime.up).toBeGreaterThan(0);
    expect(h.uptime.up).toBeLessThan(1);
    expect(h.uptime.known).toBeLessThan(0.01);
    console.log(`history e2e: bot-0 down ${Date.parse(down[0]!.to) - Date.parse(down[0]!.from)} ms, up ${h.uptime.up.toFixed(4)}, known ${h.uptime.known.toExponential(2)} of 7 d`);

    const narrow = (await get(`/status/bots/bot-0/history?from=${encodeURIComponent(incident.start)}&to=${encodeURIComponent(down[0]!.to)}`)).body!;
    expect(narrow.health).toEqual([{ from: incident.start, to: down[0]!.to, health: "down" }]);
    expect(narrow.uptime).toEqual({ up: 0, healthy: 0, known: 1 });
  });

  it("when the history of an unwatched bot or a bad range is asked, then 404 and 400 name what is wrong", async () => {
    expect((await get("/status/bots/nobody/history")).status).toBe(404);
    const reversed = await get("/status/bots/bot-0/history?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z");
    expect(reversed.status).toBe(400);
    expect(reversed.body!.field).toBe("to");
  });

  it("when the uptime badges are fetched, then bot-0's 24h reads its percentage below 100, bot-1's 100%, an unknown window is a 404 badge", async () => {
    const bot0 = await get("/status/bots/bot-0/uptime/24h.svg");
    expect(bot0.status).toBe(200);
    expect(bot0.text).toMatch(/aria-label="uptime 24h: (\d{1,2})\.\d\d%"/);
    const bot1 = await get("/status/bots/bot-1/uptime/30d.svg");
    expect(bot1.text).toContain('aria-label="uptime 30d: 100%"');
    expect(bot1.text).toContain('fill="#44cc11"');
    expect((await get("/status/bots/bot-1/uptime/1y.svg")).status).toBe(404);
    expect((await get("/status/bots/nobody/uptime/24h.svg")).status).toBe(404);
  });

  it("when admin changes are made, then the audit list shows token name, address, route and bot, newest first, and never a token", async () => {
    const silence = await admin("POST", "/silences", { matchers: { name: "bot-1" }, duration: "1h", reason: "history test" });
    expect(silence.status).toBe(201);
    expect((await admin("PUT", "/bots/bot-1/business-connection", { id: "bc-1" })).status).toBe(200);
    const registered = await admin("POST", "/bots", { name: "bot-2", token: botToken(2), username: botUsername(2), owner: { id: 200000002 }, businessConnectionId: "bc-2", probeChats: [PROBE] });
    expect(registered.status).toBe(201);
    expect((await admin("DELETE", `/silences/${silence.body!.id}`)).status).toBe(204);

    const { status, body } = await admin("GET", "/audit?limit=10");
    expect(status).toBe(200);
    const audit = body!.audit as Json[];
    expect(audit.map((a) => [a.method, a.route, a.bot])).toEqual([
      ["DELETE", "/api/v1/silences/:id", null],
      ["POST", "/api/v1/bots", "bot-2"],
      ["PUT", "/api/v1/bots/:name/business-connection", "bot-1"],
      ["POST", "/api/v1/silences", null],
    ]);
    for (const a of audit) {
      expect(a.tokenName).toBe("admin");
      expect(a.address).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/); // the peer: the X-Forwarded-For of an untrusted peer is ignored
      expect(Number.isNaN(Date.parse(a.at))).toBe(false);
    }
    const text = JSON.stringify(body);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect((await admin("GET", "/audit?limit=1")).body!.audit).toHaveLength(1);
    expect((await admin("GET", `/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body!.audit).toEqual([]);
  });

  it("when notifications are listed by channel and result, then only those attempts come back", async () => {
    const sent = (await admin("GET", "/notifications?channel=capture&result=sent")).body!.notifications as Json[];
    expect(sent.map((n) => n.kind).sort()).toEqual(["firing", "resolved"]);
    expect(sent.every((n) => n.channel === "capture" && n.result === "sent" && n.alert === "bot-0" && n.incidentId === incident.id)).toBe(true);
    const failed = (await admin("GET", "/notifications?channel=broken&result=failed")).body!.notifications as Json[];
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((n) => n.channel === "broken" && n.result === "failed")).toBe(true);
    expect(failed[0]!.error).toEqual(expect.any(String));
    expect((await admin("GET", "/notifications?channel=capture&result=failed")).body!.notifications).toEqual([]);
    const bad = await admin("GET", "/notifications?result=lost");
    expect(bad.status).toBe(400);
    expect(bad.body!.field).toBe("result");
    const tooMany = await admin("GET", "/notifications?limit=5000");
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ field: "limit", error: expect.stringContaining("1000") });
  });

  it("when incidents are listed, then bot-0's one incident comes back, filtered by bot and range", async () => {
    expect(((await admin("GET", "/incidents")).body!.incidents as Json[]).map((i) => i.id)).toEqual([incident.id]);
    const listed = ((await admin("GET", "/incidents?bot=bot-0")).body!.incidents as Json[])[0]!;
    expect(withoutNotifications(listed)).toEqual(withoutNotifications(incident));
    expect(listed.notifications).toEqual(expect.arrayContaining(incident.notifications));
    expect((await admin("GET", "/incidents?bot=bot-1")).body!.incidents).toEqual([]);
    expect((await admin("GET", `/incidents?from=${encodeURIComponent(new Date(Date.parse(incident.end) + 1000).toISOString())}`)).body!.incidents).toEqual([]);
    const bad = await admin("GET", "/incidents?from=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body!.field).toBe("from");
  });

  it("when the CLI reads the database while the service runs, then it tells the same uptime and incident, and the service keeps writing", async () => {
    const json = await cli(["history", "--config", configFile, "--json"], {});
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Json;
    const bot0 = (report.bots as Json[]).find((b) => b.bot === "bot-0")!;
    expect(bot0.uptime.up).toBeGreaterThan(0);
    expect(bot0.uptime.up).toBeLessThan(1);
    expect(bot0.incidents).toBe(1);
    expect((report.bots as Json[]).find((b) => b.bot === "bot-1")!.uptime.up).toBe(1);
    expect((report.incidents as Json[]).map(withoutNotifications)).toEqual([withoutNotifications(incident)]);
    expect(report.incidents[0].notifications).toContainEqual(expect.objectContaining({ channel: "capture", kind: "firing", result: "sent" }));

    const one = JSON.parse((await cli(["history", "--config", configFile, "--json", "--bot", "bot-0", "--since", "1h"], {})).stdout) as Json;
    expect(one.bots.map((b: Json) => b.bot)).toEqual(["bot-0"]);
    expect(Date.parse(one.to) - Date.parse(one.from)).toBe(3_600_000);

    // The service still commits after the reader was there: an admin change is acknowledged and listed.
    expect((await admin("PUT", "/bots/bot-1/business-connection", { id: "bc-1" })).status).toBe(200);
    expect(((await admin("GET", "/audit?limit=1")).body!.audit as Json[])[0]!.route).toBe("/api/v1/bots/:name/business-connection");
    seen.push(json.stdout);
  });

  it("when the service has stopped, then the CLI's table lists each bot's uptime and the incident with who was told", async () => {
    await service.stop();
    const table = await cli(["history", "--config", configFile], {});
    seen.push(table.stdout, table.stderr);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^bot-0 +\d{1,2}\.\d\d% /m);
    expect(table.stdout).toMatch(/^bot-1 +100% /m);
    expect(table.stdout).toContain(`bot-0  down  ${incident.start.replace(/\.\d{3}Z$/, "Z")} → `);
    expect(table.stdout).toContain("token fail:");
    expect(table.stdout).toMatch(/notified: .*capture firing sent/);
    for (const secret of SECRETS) expect(seen.join("\n"), `an answer contains ${secret}`).not.toContain(secret);
  });
});
