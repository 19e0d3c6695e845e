/**
 * Fleet, in process over an in-memory store: config bots and API bots, what each may be changed
 * through, and that the store, the monitor, the scheduler and the alert state follow every change.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AlertEngine } from "../src/alerts/engine.ts";
import { Outbox } from "../src/alerts/outbox.ts";
import { parseConfig } from "../src/config/load.ts";
import type { BotConfig } from "../src/config/schema.ts";
import { RefusalError } from "../src/errors.ts";
import { Fleet } from "../src/fleet.ts";
import type { Logger } from "pino";
import { createLogger } from "../src/log.ts";
import type { BotStatus } from "../src/model.ts";
import { Monitor, type Sweep } from "../src/monitor.ts";
import { OwnSchedules } from "../src/runner/own-schedules.ts";
import { Scheduler } from "../src/runner/scheduler.ts";
import { SecretBox } from "../src/store/secret-box.ts";
import { StateStore } from "../src/store/state-store.ts";
import { createTransport } from "../src/telegram/transport.ts";
import { telegramSettings } from "../src/telegram/client.ts";
import type { WatchState, WatchStore } from "../src/watch-state.ts";
import { CHECKS } from "../checks/index.ts";

const logger = createLogger({ level: "silent" });
const config = parseConfig(
  `telegram: { apiRoot: "http://127.0.0.1:9" }
bots:
  - { name: anna, token: "111:config-anna", username: anna_secretary_bot, owner: { id: 1 } }
`,
  {},
  "fleet.test.yaml",
);
const apiBot = (name: string, overrides: Partial<BotConfig> = {}): BotConfig => ({
  name,
  token: `222:api-${name}`,
  username: `${name}_secretary_bot`,
  owner: { id: 2 },
  probeChats: [],
  labels: {},
  checks: {},
  ...overrides,
});
const downStatus = (name: string): BotStatus => ({
  name,
  username: `${name}_secretary_bot`,
  health: "down",
  since: "2026-11-24T12:00:00.000Z",
  checkedAt: "2026-11-24T12:00:00.000Z",
  checks: [],
  observed: {},
});

describe("Fleet", () => {
  const closes: Array<() => void> = [];
  afterEach(() => closes.splice(0).forEach((close) => close()));

  async function setup(options: { store?: WatchStore; secretKey?: string | null; owns?: (name: string) => boolean; logger?: Logger } = {}) {
    const store = options.store ?? (await StateStore.open<WatchState>({ path: null }));
    const transport = createTransport();
    closes.push(() => transport.close());
    const monitor = new Monitor({ telegram: telegramSettings(config), checks: CHECKS, store, transport, logger });
    const scheduler = new Scheduler<Sweep>({ intervalMs: 60_000, concurrency: 1 }, (name) => monitor.sweep(name));
    const outbox = new Outbox({ store, channels: [], logger });
    const alerts = new AlertEngine({
      store,
      outbox,
      logger,
      policy: { failAfter: 1, recoverAfter: 1, repeatIntervalMs: 3_600_000, sendResolved: true },
      maintenance: [],
      statuses: () => monitor.statuses(),
      monitorEvaluationMs: 60_000,
    });
    const secretKey = options.secretKey === undefined ? "fleet-test-key" : options.secretKey;
    const fleet = new Fleet({
      config: { ...config, bots: [] },
      store,
      monitor,
      scheduler,
      ownSchedules: new OwnSchedules({ checks: CHECKS, defaults: config.checks, sweepConcurrency: 1, run: (name, check) => monitor.runOwn(name, check) }),
      checks: CHECKS,
      alerts,
      ...(secretKey !== null && { secretBox: new SecretBox(secretKey) }),
      logger: options.logger ?? logger,
      ...(options.owns && { owns: options.owns }),
    });
    fleet.load(config.bots);
    return { store, monitor, scheduler, alerts, fleet };
  }

  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof RefusalError) return { status: err.status, field: err.field, message: err.message };
      throw err;
    }
    throw new Error("expected a refusal");
  };

  it("when the config's bots are loaded, then each is watched and scheduled, from the config", async () => {
    const { fleet, monitor, scheduler } = await setup();
    expect([...fleet.list()].map(({ bot, source }) => [bot.name, source])).toEqual([["anna", "config"]]);
    expect(monitor.get("anna")?.username).toBe("anna_secretary_bot");
    expect(scheduler.has("anna")).toBe(true);
  });

  it("when a bot is registered, then it is watched at once and stored with its token sealed, never in plain text", async () => {
    const { fleet, store, scheduler } = await setup();
    const { bot, saved } = fleet.register(apiBot("boris"));
    await saved;
    expect(bot.name).toBe("boris");
    expect(fleet.source("boris")).toBe("api");
    expect(scheduler.has("boris")).toBe(true);
    const stored = store.bots.get("boris")!;
    expect(stored.config).not.toHaveProperty("token");
    expect(stored.sealedToken).not.toContain("api-boris");
    expect(fleet.apiEntry("boris").token).toBe("222:api-boris");
  });

  it("when the service restarts on the same state, then the API bots come back with their tokens and connection ids", async () => {
    const first = await setup();
    await first.fleet.register(apiBot("boris")).saved;
    await first.fleet.recordConnection("boris", "bc-boris").saved;
    const second = await setup({ store: first.store });
    expect(second.fleet.get("boris")).toMatchObject({ source: "api", bot: { token: "222:api-boris", businessConnectionId: "bc-boris" } });
  });

  it("when API bots are stored but store.secretKey is not set or is another, then loading refuses, naming why", async () => {
    const first = await setup();
    await first.fleet.register(apiBot("boris")).saved;
    await expect(setup({ store: first.store, secretKey: null })).rejects.toThrow(/store\.secretKey is not set/);
    await expect(setup({ store: first.store, secretKey: "another-key" })).rejects.toThrow(/token of API bot "boris" does not decrypt/);
  });

  it("when a change is refused, then the refusal carries its status and field, and nothing changed", async () => {
    const { fleet, store } = await setup({ secretKey: null });
    expect(refusal(() => fleet.register(apiBot("anna")))).toMatchObject({ status: 409, field: "name" });
    expect(refusal(() => fleet.register(apiBot("boris")))).toMatchObject({ status: 400, field: "token", message: expect.stringMatching(/store\.secretKey is not set/) });
    expect(refusal(() => fleet.update("anna", apiBot("anna")))).toMatchObject({ status: 409, field: "name", message: expect.stringMatching(/comes from the config file/) });
    expect(refusal(() => fleet.remove("nobody"))).toMatchObject({ status: 404 });
    expect(refusal(() => fleet.recordConnection("nobody", "bc"))).toMatchObject({ status: 404 });
    expect(fleet.get("boris")).toBeUndefined();
    expect([...store.bots.entries()]).toEqual([]);
  });

  it("when an API bot is renamed through update, then it is refused; a changed label takes effect at once and keeps the creation time", async () => {
    const { fleet, store, monitor } = await setup();
    await fleet.register(apiBot("boris")).saved;
    const createdAt = store.bots.get("boris")!.createdAt;
    expect(refusal(() => fleet.update("boris", apiBot("bella")))).toMatchObject({ status: 400, field: "name" });
    await fleet.update("boris", apiBot("boris", { labels: { team: "ops" } })).saved;
    expect(monitor.get("boris")?.labels).toEqual({ team: "ops" });
    expect(store.bots.get("boris")!.createdAt).toBe(createdAt);
  });

  it("when a config bot's connection id is recorded, then the bot is watched with it and it survives a restart", async () => {
    const { fleet, store, monitor } = await setup();
    const { bot, saved } = fleet.recordConnection("anna", "bc-anna");
    await saved;
    expect(bot.businessConnectionId).toBe("bc-anna");
    expect(monitor.get("anna")?.businessConnectionId).toBe("bc-anna");
    expect(store.connections.get("anna")).toBe("bc-anna");
    const second = await setup({ store });
    expect(second.monitor.get("anna")?.businessConnectionId).toBe("bc-anna");
  });

  it("when an API bot is removed, then its entry, connection id, result and alert state are gone and it is no longer scheduled", async () => {
    const { fleet, store, scheduler, alerts } = await setup();
    await fleet.register(apiBot("boris")).saved;
    await fleet.recordConnection("boris", "bc-boris").saved;
    await store.results.put("boris", downStatus("boris"));
    alerts.onSweep(fleet.get("boris")!.bot, downStatus("boris"));
    expect(alerts.alertState("boris")?.firing).not.toBeNull();

    await fleet.remove("boris");
    expect(fleet.get("boris")).toBeUndefined();
    expect(scheduler.has("boris")).toBe(false);
    expect(store.bots.has("boris")).toBe(false);
    expect(store.connections.has("boris")).toBe(false);
    expect(store.results.has("boris")).toBe(false);
    expect(alerts.alertState("boris")).toBeUndefined();
  });

  describe("as a replica (the bots it owns are the shards it holds)", () => {
    it("when it owns no bot, then every bot is watched (the whole fleet is served) and none is scheduled; gaining one schedules it, losing it unschedules it", async () => {
      const owned = new Set<string>();
      const { fleet, scheduler, monitor } = await setup({ owns: (name) => owned.has(name) });
      await fleet.register(apiBot("boris")).saved;
      expect(monitor.get("anna")).toBeDefined();
      expect(monitor.get("boris")).toBeDefined();
      expect(scheduler.has("anna") || scheduler.has("boris")).toBe(false);
      owned.add("boris");
      fleet.rebalance();
      expect([scheduler.has("anna"), scheduler.has("boris")]).toEqual([false, true]);
      owned.delete("boris");
      fleet.rebalance();
      expect(scheduler.has("boris")).toBe(false);
      expect(monitor.get("boris")).toBeDefined();
    });

    it("when another replica registered, changed or deleted a bot (the store's feed holds it now), then this one watches, updates and forgets it", async () => {
      const first = await setup({ owns: () => true });
      const second = await setup({ store: first.store, owns: () => false });
      await first.fleet.register(apiBot("boris", { labels: { tier: "vip" } })).saved;
      second.fleet.followRemote("bots", "boris");
      expect(second.fleet.get("boris")?.source).toBe("api");
      expect(second.monitor.get("boris")?.labels).toEqual({ tier: "vip" });
      await first.fleet.recordConnection("boris", "bc-9").saved;
      second.fleet.followRemote("connections", "boris");
      expect(second.monitor.get("boris")?.businessConnectionId).toBe("bc-9");
      await first.fleet.remove("boris");
      second.fleet.followRemote("bots", "boris");
      expect(second.fleet.get("boris")).toBeUndefined();
    });

    it("when another replica registered a bot whose token this one cannot read (no key, another key), then it is not watched and the log says why", async () => {
      for (const [secretKey, why] of [[null, "store.secretKey is not set"], ["another-key", "does not decrypt"]] as const) {
        const first = await setup({ owns: () => true });
        const lines: string[] = [];
        // Started before the bot was registered: a start with unreadable API bots is refused (load).
        const second = await setup({ store: first.store, owns: () => true, secretKey, logger: createLogger({ level: "error", destination: { write: (line: string) => void lines.push(line) } }) });
        await first.fleet.register(apiBot("boris")).saved;
        second.fleet.followRemote("bots", "boris");
        expect(second.fleet.get("boris")).toBeUndefined();
        expect(second.monitor.get("boris")).toBeUndefined();
        expect(lines.map((l) => JSON.parse(l) as { bot: string; msg: string })).toEqual([expect.objectContaining({ bot: "boris", msg: expect.stringContaining(why) })]);
        expect(lines.join("")).not.toContain(apiBot("boris").token);
      }
    });

    it("when a bot it does not own is removed here, then its alert is left to its owner (not forgotten here)", async () => {
      const { fleet, store, alerts } = await setup({ owns: () => false });
      await fleet.register(apiBot("boris")).saved;
      await store.alerts.put("boris", { badStreak: 1, badSince: null, badWorst: null, goodStreak: 0, firing: null } as never);
      await fleet.remove("boris");
      expect(alerts.alertState("boris")).toBeDefined();
    });
  });
});
