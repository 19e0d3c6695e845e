/**
 * Issue 14, acceptance 5: upgrading from a lowdb state file of the current release loses nothing.
 *
 * The state file is built from what the service itself records: a run of the service (API bots
 * registered with sealed tokens, a connection id recorded through the API, silences, a bot down so its
 * alert fires, the notification queued because the receiver is down, every bot's last result), whose
 * slices are then written with StateStore, the engine and format of the earlier release. The service then
 * starts on that file, once with `store.path` at the file itself and once with the default layout
 * (`state.json` beside a new `secretary-watch.db`), and everything is checked through its own API and
 * status: the API bots are listed and swept with their token, the connection id is in use, the silences
 * are active, the alert is still firing and not notified again, the queued notification is delivered
 * exactly once, and the file is renamed `*.imported`.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { isLegacyStateFile } from "../../src/store/legacy-state-file.ts";
import { botToken, botUsername, control, fleetBots, healthyWorld, PROBE } from "../support/healthy-fleet.ts";
import { downReceiver, type PortReceiver } from "../support/faults-process.ts";
import { readDatabase } from "../support/database-reader.ts";
import { writeLegacyStateFile, type LegacySlices } from "../support/legacy-state.ts";
import { startTestService, storePath, until } from "../support/service-harness.ts";

const ADMIN = "upgrade-admin-token-4b7c";
const SECRET_KEY = "upgrade-secret-key-0123456789abcdef";
/** bot-0 … bot-2 come from the config (bot-0 revoked: down, firing); api-3 and api-4 from the admin API. */
const CONFIG_BOTS = 3;
const API_BOTS = [3, 4];
const OUTBOX = { baseBackoffMs: 200, maxBackoffMs: 500 };

type Body = { key: string; kind: string; at: string };
const messageId = (m: Body) => `${m.key} ${m.kind} ${m.at}`;

interface BotView {
  name: string;
  health: string;
  since: string | null;
  checks: Array<{ check: string; status: string; at: string }>;
  alert?: { state: string; startsAt: string; firedAt: string | null } | null;
}

describe("upgrading from the earlier state file", () => {
  let sandbox: Sandbox;
  let receiverPort: number;
  let receiver: PortReceiver;
  let legacy: LegacySlices;
  const config = () => ({
    telegram: { apiRoot: sandbox.url, timeout: "1s" },
    schedule: { interval: "1s" },
    server: { adminToken: ADMIN },
    alerts: { failAfter: 1, recoverAfter: 1, channels: { capture: { type: "webhook", url: `http://127.0.0.1:${receiverPort}/hook` } } },
    bots: fleetBots(CONFIG_BOTS),
  });

  beforeAll(async () => {
    sandbox = await startSandbox({ world: healthyWorld(5) });
    await control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { revoked: true });
    const down = await downReceiver();
    receiverPort = down.port;

    // The release before: the service's records, with the receiver down so the notification stays queued.
    const { service, dir } = await startTestService(config(), { outbox: OUTBOX }, undefined, { secretKey: SECRET_KEY });
    const api = (method: string, path: string, body: unknown) =>
      fetch(`${service.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => {
        expect(r.status, await r.clone().text()).toBeLessThan(300);
        return r.json() as Promise<{ id?: string }>;
      });
    // api-3 is registered with its connection id; api-4's is recorded afterwards (the connections slice).
    await api("POST", "/bots", { name: "api-3", token: botToken(3), username: botUsername(3), owner: { id: 200000003 }, businessConnectionId: "bc-3", probeChats: [PROBE] });
    await api("POST", "/bots", { name: "api-4", token: botToken(4), username: botUsername(4), owner: { id: 200000004 }, probeChats: [PROBE] });
    await api("PUT", "/bots/api-4/business-connection", { id: "bc-4" });
    await api("POST", "/silences", { matchers: { name: "bot-1" }, duration: "2h", reason: "moving bot-1" });
    await api("POST", "/silences", { matchers: { team: "nobody" }, duration: "3h", reason: "no one's" });
    await until("bot-0 firing, its notification tried and queued, every bot swept", () => {
      const tried = service.store.outbox.list().some((e) => e.message.key === "bot-0" && e.attempts > 0);
      return service.alerts.alertState("bot-0")?.firing && tried && [...service.monitor.statuses()].length === CONFIG_BOTS + API_BOTS.length ? true : undefined;
    }, 15_000);
    await service.stop();
    legacy = readDatabase(storePath(dir));
    // What the state file will hold: every slice the upgrade must keep, none of them empty.
    expect(Object.keys(legacy.bots).sort()).toEqual(["api-3", "api-4"]);
    expect(legacy.connections).toEqual({ "api-4": "bc-4" });
    expect(legacy.silences).toHaveLength(2);
    expect(legacy.alerts["bot-0"]?.firing).toBeTruthy();
    expect(legacy.outbox.map((e) => `${e.message.key} ${e.message.kind}`)).toEqual(["bot-0 firing"]);
    expect(Object.keys(legacy.results).sort()).toEqual(["api-3", "api-4", "bot-0", "bot-1", "bot-2"]);
    receiver = await down.up();
  }, 40_000);

  afterAll(async () => {
    await receiver?.close();
    await sandbox?.close();
  });

  /** Writes the state file at `legacyPath`, starts the service with `dbPath` as store.path, checks everything is there. */
  async function upgrade(legacyPath: string, dbPath: string, dir: string) {
    await writeLegacyStateFile(legacyPath, legacy);
    expect(isLegacyStateFile(legacyPath)).toBe(true);
    const receivedBefore = receiver.bodies.length;
    const startedAt = Date.now();
    const callsBefore = await callsOf(API_BOTS.map(botUsername));
    const { service } = await startTestService(config(), { outbox: OUTBOX }, dir, { secretKey: SECRET_KEY, path: dbPath });
    try {
      const get = async <T>(path: string, admin = false) =>
        (await (await fetch(`${service.url}${path}`, admin ? { headers: { authorization: `Bearer ${ADMIN}` } } : {})).json()) as T;
      // The file was imported and put aside; the database is where store.path says.
      expect(existsSync(`${legacyPath}.imported`)).toBe(true);
      expect(existsSync(dbPath) && !isLegacyStateFile(dbPath)).toBe(true);

      // Every bot is swept again (so a lost alert state or connection id would show), and the queued notification is delivered.
      await until("every bot swept after the upgrade", async () => {
        const { bots } = await get<{ bots: BotView[] }>("/status");
        return bots.length === 5 && bots.every((b) => b.checks.some((c) => Date.parse(c.at) > startedAt)) ? bots : undefined;
      }, 10_000);
      const queued = legacy.outbox.map((e) => messageId(e.message as unknown as Body));
      await until("the queued notification", () => (queued.every((id) => (receiver.bodies.slice(receivedBefore) as Body[]).some((b) => messageId(b) === id)) ? true : undefined), 10_000);
      await until("two more sweeps of bot-0", async () => ((await get<BotView>("/status/bots/bot-0")).checks.every((c) => Date.parse(c.at) > Date.now() - 500) ? true : undefined), 5000);
      const bots = new Map((await get<{ bots: BotView[] }>("/status")).bots.map((b) => [b.name, b]));

      // API bots: listed as such, and swept with their token (the sandbox answered them: healthy, its calls counted).
      const listed = await get<{ bots: Array<{ name: string; source: string; businessConnectionId: string | null }> }>("/api/v1/bots", true);
      expect(listed.bots.filter((b) => b.source === "api").map((b) => b.name).sort()).toEqual(["api-3", "api-4"]);
      expect(listed.bots.find((b) => b.name === "api-4")!.businessConnectionId).toBe("bc-4");
      for (const name of ["api-3", "api-4"]) expect(bots.get(name)!.health, name).toBe(legacy.results[name]!.health);
      for (const name of ["api-3", "api-4"]) expect(bots.get(name)!.checks.every((c) => c.status === "ok"), JSON.stringify(bots.get(name)!.checks)).toBe(true);
      const callsAfter = await callsOf(API_BOTS.map(botUsername));
      for (const username of API_BOTS.map(botUsername)) expect(callsAfter.get(username)! - (callsBefore.get(username) ?? 0), username).toBeGreaterThan(0);
      // Last results: each bot's health is the one it had, since the time it had it (a lost result would start anew).
      for (const [name, result] of Object.entries(legacy.results)) expect({ name, health: bots.get(name)!.health, since: bots.get(name)!.since }).toEqual({ name, health: result.health, since: result.since });

      // Silences: both active still.
      const { silences } = await get<{ silences: Array<{ id: string; active: boolean }> }>("/api/v1/silences", true);
      expect(silences.filter((s) => s.active).map((s) => s.id).sort()).toEqual(legacy.silences.map((s) => s.id).sort());

      // The alert: still firing from the same moment, and not notified again; the queued notification arrived once.
      const firing = legacy.alerts["bot-0"]!.firing!;
      expect(bots.get("bot-0")!.alert).toMatchObject({ state: "firing", startsAt: firing.since });
      const received = (receiver.bodies.slice(receivedBefore) as Body[]).map(messageId);
      expect(received, "notifications after the upgrade: the queued one, once, and nothing else").toEqual(queued);
      return { received: received.length };
    } finally {
      await service.stop();
    }
  }

  /** Calls the sandbox counted, by bot username. */
  async function callsOf(usernames: string[]): Promise<Map<string, number>> {
    const calls = (await control(sandbox.url, "GET", "/calls")) as Array<{ bot: string | null; count: number }>;
    return new Map(usernames.map((u) => [u, calls.filter((c) => c.bot === u).reduce((sum, c) => sum + c.count, 0)]));
  }

  it("when the service starts with store.path at a state file of the earlier release, then it imports it and nothing is lost", async () => {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-upgrade-"));
    const path = join(dir, "state.json");
    const { received } = await upgrade(path, path, dir);
    console.log(`[upgrade] store.path at the state file: ${Object.keys(legacy.bots).length} API bots, ${legacy.silences.length} silences, ${legacy.outbox.length} queued notification delivered ${received} time(s)`);
  }, 30_000);

  it("when the service starts with the default layout (state.json beside a new secretary-watch.db), then it imports the state file and nothing is lost", async () => {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-upgrade-"));
    const { received } = await upgrade(join(dir, "state.json"), join(dir, "secretary-watch.db"), dir);
    expect(received).toBe(1);
  }, 30_000);
});
