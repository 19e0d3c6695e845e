/**
 * AlertEngine, in process over an in-memory store: what a sweep does to the alert state it keeps in
 * the store and to the outbox (not started here, so what it queued stays there to be read), what a
 * delivery records, what silences in the store mute, and what is counted as firing.
 */
import { describe, expect, it } from "vitest";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { AlertPolicy } from "../../src/alerts/state-machine.ts";
import type { AlertMessage, Channel } from "../../src/alerts/types.ts";
import { createLogger } from "../../src/log.ts";
import type { BotStatus, Health, MonitoredBot } from "../../src/model.ts";
import { StateStore } from "../../src/store/state-store.ts";
import { botSweep } from "../support/alert-fixtures.ts";
import type { WatchState } from "../../src/watch-state.ts";

const logger = createLogger({ level: "silent" });
const POLICY: AlertPolicy = { failAfter: 2, recoverAfter: 1, repeatIntervalMs: 4 * 3_600_000, sendResolved: true };
const botNamed = (name: string, labels: Record<string, string> = {}): MonitoredBot => ({
  name,
  token: `1:${name}`,
  username: `${name}_secretary_bot`,
  ownerId: 1,
  probeChats: [],
  labels,
  checks: {},
});
const anna = botNamed("anna", { team: "ops" });

let minute = 0;
/** A finished sweep of `bot` with `health`, a minute after the previous one. */
const sweep = (bot: MonitoredBot, health: Health): BotStatus => botSweep(bot, health, new Date(Date.UTC(2026, 10, 24, 12, minute++)));

const channel = (name: string): Channel => ({ name, type: "test", accepts: () => true, send: async () => undefined });

async function setup(statuses: () => BotStatus[] = () => []) {
  const store = await StateStore.open<WatchState>({ path: null });
  const outbox = new Outbox({ store, channels: [channel("mail"), channel("hook")], logger });
  const engine = new AlertEngine({ store, outbox, logger, policy: POLICY, maintenance: [], statuses, monitorEvaluationMs: 60_000, now: () => new Date(Date.UTC(2026, 10, 24, 13)) });
  const queued = () => store.outbox.list().map((e) => `${e.channel} ${e.message.key} ${e.message.kind}`);
  return { store, outbox, engine, queued };
}

describe("AlertEngine over its store", () => {
  it("when a bot's bad streak reaches failAfter, then the firing state is in the store and one notification per channel is queued with it", async () => {
    const { store, engine, queued } = await setup();
    engine.onSweep(anna, sweep(anna, "down"));
    expect(store.alerts.get("anna")).toMatchObject({ badStreak: 1, firing: null });
    expect(queued()).toEqual([]);

    engine.onSweep(anna, sweep(anna, "degraded"));
    expect(store.alerts.get("anna")?.firing).toMatchObject({ severity: "down", notified: { severity: "down" } });
    expect(queued()).toEqual(["mail anna firing", "hook anna firing"]);
  });

  it("when a firing bot recovers, then its alert state leaves the store and the resolved notification is queued", async () => {
    const { store, engine, queued } = await setup();
    engine.onSweep(anna, sweep(anna, "down"));
    engine.onSweep(anna, sweep(anna, "down"));
    engine.onSweep(anna, sweep(anna, "healthy"));
    expect(store.alerts.has("anna")).toBe(false);
    expect(queued().filter((q) => q.endsWith("resolved"))).toEqual(["mail anna resolved", "hook anna resolved"]);
  });

  it("when a healthy bot with nothing going on is swept, then nothing is stored for it", async () => {
    const { store, engine } = await setup();
    engine.onSweep(anna, sweep(anna, "healthy"));
    engine.onSweep(anna, sweep(anna, "unknown"));
    expect([...store.alerts.entries()]).toEqual([]);
  });

  it("when the outbox reports a delivery, then the firing alert records the channel; a delivery of an earlier streak's message is not this alert's news", async () => {
    const { store, engine } = await setup();
    engine.onSweep(anna, sweep(anna, "down"));
    engine.onSweep(anna, sweep(anna, "down"));
    const firing = store.outbox.list()[0]!.message;
    engine.delivered(firing, "mail");
    expect(store.alerts.get("anna")?.firing?.deliveredTo).toEqual({ mail: firing.at });

    const earlier: AlertMessage = { ...firing, since: "2026-11-01T00:00:00.000Z" };
    engine.delivered(earlier, "hook");
    engine.delivered({ ...firing, kind: "resolved" }, "hook");
    expect(store.alerts.get("anna")?.firing?.deliveredTo).toEqual({ mail: firing.at });
  });

  it("when a silence in the store matches the bot, then the alert fires muted: the state moves, nothing is queued, and the silence is listed", async () => {
    const { store, engine, queued } = await setup();
    const silence = { id: "s1", matchers: { team: "ops" }, startsAt: "2026-11-24T00:00:00.000Z", endsAt: "2026-11-25T00:00:00.000Z", reason: "upgrade" };
    await store.silences.add([silence]);
    engine.onSweep(anna, sweep(anna, "down"));
    engine.onSweep(anna, sweep(anna, "down"));
    expect(store.alerts.get("anna")?.firing).toMatchObject({ severity: "down", notified: null });
    expect(queued()).toEqual([]);
    expect(engine.silences().silences).toEqual([silence]);

    // Another bot, not matched by the silence, is not muted.
    const boris = botNamed("boris");
    engine.onSweep(boris, sweep(boris, "down"));
    engine.onSweep(boris, sweep(boris, "down"));
    expect(queued()).toEqual(["mail boris firing", "hook boris firing"]);
  });

  it("when bots fire and one is forgotten, then firing() counts the rest by severity", async () => {
    const { engine } = await setup();
    const [boris, clara] = [botNamed("boris"), botNamed("clara")];
    for (const [bot, health] of [[anna, "down"], [boris, "degraded"], [clara, "down"]] as const) {
      engine.onSweep(bot, sweep(bot, health));
      engine.onSweep(bot, sweep(bot, health));
    }
    expect(engine.firing()).toEqual({ degraded: 1, down: 2 });
    engine.forget("clara");
    expect(engine.alertState("clara")).toBeUndefined();
    expect(engine.firing()).toEqual({ degraded: 1, down: 1 });
  });

  it("when most of the latest round is unknown, then the monitor alert fires on its own key and is not counted among bot alerts", async () => {
    const bots = Array.from({ length: 6 }, (_, i) => botNamed(`bot-${i}`));
    let round = bots.map((b) => sweep(b, "unknown"));
    const { store, engine, queued } = await setup(() => round);
    engine.evaluateMonitor();
    engine.evaluateMonitor();
    expect(store.alerts.get("monitor")?.firing).not.toBeNull();
    expect(queued()).toEqual(["mail monitor firing", "hook monitor firing"]);
    expect(engine.firing()).toEqual({ degraded: 0, down: 0 });

    round = bots.map((b) => sweep(b, "healthy"));
    engine.evaluateMonitor();
    expect(store.alerts.has("monitor")).toBe(false);
  });
});
