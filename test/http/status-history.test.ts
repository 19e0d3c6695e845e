import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { HistoryReader } from "../../src/history/history.ts";
import type { Incident } from "../../src/history/incidents.ts";
import type { Metrics } from "../../src/metrics/metrics.ts";
import type { BotStatus } from "../../src/model.ts";
import type { Monitor } from "../../src/monitor.ts";
import { createApp } from "../../src/http/server.ts";
import { LogSink } from "../support/service-harness.ts";
import { UNREACHABLE_CAUSE, unreachableHistory } from "../support/unreachable-history.ts";

const AT = "2026-11-20T10:00:00.000Z";
const status = (name: string, health: BotStatus["health"]): BotStatus => ({ name, health, since: AT, checkedAt: AT, checks: [] }) as unknown as BotStatus;
const BOTS = [{ name: "anna", username: "anna_bot" }, { name: "bob", username: "bob_bot" }];
const monitor = {
  bots: () => BOTS.values(),
  get: (name: string) => BOTS.find((b) => b.name === name),
  status: (name: string) => status(name, name === "anna" ? "down" : "healthy"),
} as unknown as Monitor;

const OPEN: Incident = { id: `anna@${AT}`, bot: "anna", start: Date.parse(AT), firedAt: Date.parse(AT) + 60_000, end: null, worst: "down", checks: [{ check: "token", status: "fail", message: "401" }], notifications: [{ channel: "ops", kind: "firing", at: Date.parse(AT) + 61_000, result: "sent" }], silenced: false };
const u = (up: number) => ({ up, healthy: up, known: 1 });

/** A reader that counts its calls; `broken` makes every read throw at once, as a database with an I/O error would. */
function reader(broken = false) {
  const calls: string[] = [];
  const fail = () => {
    if (broken) throw new Error("database /data/watch.db: a disk read failed (SQLITE_IOERR)");
  };
  const history = {
    fleetUptime: () => (calls.push("fleetUptime"), fail(), Promise.resolve(new Map([["anna", { "24h": u(0.5), "7d": u(0.9), "30d": u(0.99), "90d": u(0.999) }]]))),
    openIncidents: () => (calls.push("openIncidents"), fail(), Promise.resolve(new Map([["anna", OPEN]]))),
    botUptime: () => (calls.push("botUptime"), fail(), Promise.resolve({ "24h": u(0.5), "7d": u(0.9), "30d": u(0.99), "90d": u(0.999) })),
    openIncident: (bot: string) => (calls.push("openIncident"), fail(), Promise.resolve(bot === "anna" ? OPEN : null)),
  } as unknown as HistoryReader;
  return { history, calls };
}

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(history: HistoryReader, logs = new LogSink()) {
  const app = createApp({ host: "127.0.0.1", port: 0, monitor, metrics: {} as Metrics, logger: pino({ level: "debug" }, logs), live: () => true, ready: () => true, history });
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((r) => server.once("listening", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
}

describe("/status with the history", () => {
  it("when /status is read, then every bot carries its uptime per window and open incident, from one fleet read of each", async () => {
    const { history, calls } = reader();
    const get = await serve(history);
    const r = await get("/status");
    expect(r.status).toBe(503);
    const [anna, bob] = r.body.bots;
    expect(Object.keys(anna)).toEqual(["name", "username", "labels", "health", "since", "uptime", "incident", "checks"]);
    expect(anna.uptime).toEqual({ "24h": 0.5, "7d": 0.9, "30d": 0.99, "90d": 0.999 });
    expect(anna.incident).toEqual({
      id: `anna@${AT}`, bot: "anna", start: AT, firedAt: "2026-11-20T10:01:00.000Z", end: null, worst: "down",
      checks: [{ check: "token", status: "fail", message: "401" }], notifications: [{ channel: "ops", kind: "firing", at: "2026-11-20T10:01:01.000Z", result: "sent" }], silenced: false,
    });
    // bob has no history: null ratios, never 1.
    expect(bob.uptime).toEqual({ "24h": null, "7d": null, "30d": null, "90d": null });
    expect(bob.incident).toBeNull();
    expect(calls.sort()).toEqual(["fleetUptime", "openIncidents"]);
  });

  it("when one bot is read, then it carries its own uptime and incident", async () => {
    const { history, calls } = reader();
    const get = await serve(history);
    const r = await get("/status/bots/anna");
    expect(r.body.uptime["24h"]).toBe(0.5);
    expect(r.body.incident.id).toBe(`anna@${AT}`);
    expect((await get("/status/bots/bob")).body.incident).toBeNull();
    expect(calls).not.toContain("fleetUptime");
  });

  it.each([
    ["its reads reject (the store unreachable)", () => unreachableHistory().history, UNREACHABLE_CAUSE],
    ["its reads throw (a disk read failed)", () => reader(true).history, "SQLITE_IOERR"],
  ])("when the history cannot be read because %s, then /status still answers the live verdicts, with uptime and incident null, and logs why once per request", async (_why, broken, cause) => {
    const logs = new LogSink();
    const get = await serve(broken(), logs);
    const failures = () => logs.text.split("\n").filter((line) => line.includes("history read failed")).length;
    const fleet = await get("/status");
    expect(fleet.status).toBe(503);
    expect(fleet.body.bots.map((b: { name: string; health: string }) => [b.name, b.health])).toEqual([["anna", "down"], ["bob", "healthy"]]);
    for (const bot of fleet.body.bots) {
      expect(Object.keys(bot)).toEqual(["name", "username", "labels", "health", "since", "uptime", "incident", "checks"]);
      expect([bot.uptime, bot.incident]).toEqual([null, null]);
    }
    // Two reads failed for two bots: one line.
    expect(failures()).toBe(1);
    const one = await get("/status/bots/bob");
    expect(one.status).toBe(200);
    expect([one.body.health, one.body.uptime, one.body.incident]).toEqual(["healthy", null, null]);
    expect(failures()).toBe(2);
    expect(logs.text).toContain("history read failed; /status answers uptime and incident null");
    expect(logs.text).toContain(cause);
    expect(JSON.stringify([fleet.body, one.body])).not.toContain("/data/watch.db");
  });
});
