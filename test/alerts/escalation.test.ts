/**
 * Issue 17, "Escalation": a channel with `after` hears of an alert only once it has been firing that long,
 * then of escalations and reminders on its own clock, and of the resolution only if it heard of the firing.
 * The engine runs over the service's own store (its SQLite database, on a file) with a simulated clock
 * (each sweep carries its time); the outbox is not started, so what a step queued stays there to be read.
 * The channels are routed as configured ones are (routedChannel), so `minHealth` and `bots` apply as in
 * the service.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { routedChannel } from "../../src/alerts/channels/define-channel.ts";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { Silence } from "../../src/alerts/silences.ts";
import type { AlertPolicy } from "../../src/alerts/state-machine.ts";
import type { Channel } from "../../src/alerts/types.ts";
import { createLogger } from "../../src/log.ts";
import type { BotStatus, Health, MonitoredBot } from "../../src/model.ts";
import { botSweep } from "../support/alert-fixtures.ts";
import { openTestStore } from "../support/test-store.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);
const logger = createLogger({ level: "silent" });
const POLICY: AlertPolicy = { failAfter: 1, recoverAfter: 1, repeatIntervalMs: 60 * MINUTE, sendResolved: true };
const anna: MonitoredBot = { name: "anna", token: "1:secret", username: "anna_secretary_bot", ownerId: 1, probeChats: [], labels: { tier: "vip" }, checks: {} };

/** A finished sweep of anna with `health`, `minute` minutes after T0. */
const sweep = (minute: number, health: Health): BotStatus => botSweep(anna, health, new Date(T0 + minute * MINUTE));

/** A configured channel of a throwaway type with its routing (`after` in minutes). */
function channel(name: string, route: { after?: number; minHealth?: "degraded" | "down"; bots?: Record<string, string> } = {}): Channel {
  const config = { type: "test", minHealth: route.minHealth ?? "degraded", bots: route.bots ?? {}, ...(route.after !== undefined && { after: route.after * MINUTE }) };
  return routedChannel(name, config, { send: async () => undefined });
}

describe("escalation: channels with after", () => {
  const closes: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closes.splice(0)) await close();
  });

  async function setup(channels: Channel[], options: { policy?: AlertPolicy; maintenance?: Silence[]; dir?: string; statuses?: () => BotStatus[]; now?: () => Date } = {}) {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "escalation-"));
    const { store } = await openTestStore(dir);
    closes.push(() => store.close());
    const outbox = new Outbox({ store, channels, logger });
    const engine = new AlertEngine({
      store,
      outbox,
      logger,
      policy: options.policy ?? POLICY,
      maintenance: options.maintenance ?? [],
      statuses: options.statuses ?? (() => []),
      monitorEvaluationMs: 60_000,
      channels,
      ...(options.now && { now: options.now }),
    });
    /** What was queued, oldest first: "channel kind severity (escalated) at minute". */
    const queued = () =>
      store.outbox.list().map((e) => {
        const m = e.message;
        const minute = (Date.parse(m.at) - T0) / MINUTE;
        return `${e.channel} ${m.kind} ${m.severity}${m.escalatedFrom ? ` from ${m.escalatedFrom}` : ""} @${minute}`;
      });
    const run = (from: number, to: number, health: Health) => {
      for (let minute = from; minute <= to; minute++) engine.onSweep(anna, sweep(minute, health));
    };
    return { store, engine, queued, run, dir };
  }

  it("when two channels have different after, then each hears of the firing once the alert has fired that long, the channel without after at once", async () => {
    const { queued, run } = await setup([channel("chat"), channel("pager", { after: 10 }), channel("boss", { after: 30 })]);
    run(0, 9, "down");
    expect(queued()).toEqual(["chat firing down @0"]);
    run(10, 29, "down");
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @10"]);
    run(30, 31, "down");
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @10", "boss firing down @30"]);
  });

  it("when the alert resolves before after, then the delayed channel hears of neither the firing nor the resolution", async () => {
    const { queued, run, store } = await setup([channel("chat"), channel("pager", { after: 10 })]);
    run(0, 8, "down");
    run(9, 9, "healthy");
    run(10, 30, "healthy");
    expect(queued()).toEqual(["chat firing down @0", "chat resolved down @9"]);
    expect(store.alerts.has("anna")).toBe(false);
  });

  it("when the alert resolves after the delayed channel heard of it, then it hears of the resolution too", async () => {
    const { queued, run, store } = await setup([channel("chat"), channel("pager", { after: 10 })]);
    run(0, 12, "down");
    expect(store.alerts.get("anna")?.firing?.escalated).toEqual({ pager: { severity: "down", at: new Date(T0 + 10 * MINUTE).toISOString() } });
    run(13, 13, "healthy");
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @10", "chat resolved down @13", "pager resolved down @13"]);
  });

  it("when the service restarts in the middle of the wait, then the escalation still goes out when due, and after a restart past it, not again", async () => {
    const channels = () => [channel("chat"), channel("pager", { after: 10 })];
    const first = await setup(channels());
    first.run(0, 5, "down");
    await first.store.flush();
    await first.store.close();

    const second = await setup(channels(), { dir: first.dir });
    second.run(6, 9, "down");
    expect(second.queued()).toEqual(["chat firing down @0"]);
    second.run(10, 11, "down");
    expect(second.queued()).toEqual(["chat firing down @0", "pager firing down @10"]);
    await second.store.flush();
    await second.store.close();

    const third = await setup(channels(), { dir: first.dir });
    third.run(12, 20, "down");
    expect(third.queued()).toEqual(["chat firing down @0", "pager firing down @10"]);
  });

  it("when the sweep at the escalation's time is healthy (the alert recovering) or unknown, then the delayed channel waits for a failing one", async () => {
    const { queued, run } = await setup([channel("chat"), channel("pager", { after: 10 })], { policy: { ...POLICY, recoverAfter: 3 } });
    run(0, 9, "down");
    run(10, 11, "healthy");
    run(12, 12, "unknown");
    expect(queued()).toEqual(["chat firing down @0"]);
    run(13, 13, "down");
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @13"]);
  });

  it("when the alert keeps firing, then the delayed channel's reminders run on its own clock, from when it was told", async () => {
    const { queued, run } = await setup([channel("chat"), channel("pager", { after: 10 })]);
    run(0, 140, "down");
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @10", "chat reminder down @60", "pager reminder down @70", "chat reminder down @120", "pager reminder down @130"]);
  });

  it("when the alert goes from degraded to down, then the delayed channel hears of the escalation only once it heard of the firing, and during the wait it hears of the worst at once", async () => {
    const early = await setup([channel("chat"), channel("pager", { after: 10 })]);
    early.run(0, 12, "degraded");
    early.run(13, 13, "down");
    expect(early.queued()).toEqual(["chat firing degraded @0", "pager firing degraded @10", "chat firing down from degraded @13", "pager firing down from degraded @13"]);

    const during = await setup([channel("chat"), channel("pager", { after: 10 })]);
    during.run(0, 4, "degraded");
    during.run(5, 10, "down");
    expect(during.queued()).toEqual(["chat firing degraded @0", "chat firing down from degraded @5", "pager firing down @10"]);
  });

  it("when the delayed channel takes only down, then a degraded alert never reaches it, and it hears once the alert is down and has fired that long", async () => {
    const { queued, run, store } = await setup([channel("chat"), channel("pager", { after: 10, minHealth: "down" })]);
    run(0, 14, "degraded");
    expect(queued()).toEqual(["chat firing degraded @0"]);
    expect(store.alerts.get("anna")?.firing?.escalated).toBeUndefined();
    run(15, 15, "down");
    run(16, 16, "healthy");
    expect(queued()).toEqual(["chat firing degraded @0", "chat firing down from degraded @15", "pager firing down @15", "chat resolved down @16", "pager resolved down @16"]);
  });

  it("when a maintenance window covers the bot at the escalation's time, then it waits for the window to end, and goes out then if the alert still fires", async () => {
    const window: Silence = { id: "m1", matchers: { name: "anna" }, startsAt: new Date(T0 + 5 * MINUTE).toISOString(), endsAt: new Date(T0 + 20 * MINUTE).toISOString(), createdBy: "config", reason: "deploy" };
    const { queued, run } = await setup([channel("chat"), channel("pager", { after: 10 })], { maintenance: [window] });
    run(0, 19, "down");
    expect(queued()).toEqual(["chat firing down @0"]);
    run(20, 21, "down");
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @20"]);
  });

  it("when the bot's labels do not match the delayed channel's selector, then it hears nothing and keeps nothing for it", async () => {
    const { queued, run, store } = await setup([channel("chat"), channel("pager", { after: 10, bots: { tier: "free" } })]);
    run(0, 20, "down");
    expect(store.alerts.get("anna")?.firing?.escalated).toBeUndefined();
    run(21, 21, "healthy");
    expect(queued()).toEqual(["chat firing down @0", "chat resolved down @21"]);
  });

  it("when the monitor cannot reach Telegram, then its alert escalates the same way", async () => {
    let now = T0;
    const unknownBot = (i: number): BotStatus => ({ ...sweep((now - T0) / MINUTE, "unknown"), name: `bot${i}` });
    let reachable = false;
    const statuses = () => [0, 1, 2].map((i) => (reachable ? { ...sweep((now - T0) / MINUTE, "healthy"), name: `bot${i}` } : unknownBot(i)));
    const { engine, queued } = await setup([channel("chat"), channel("pager", { after: 10 })], { statuses, now: () => new Date(now) });
    for (; now <= T0 + 12 * MINUTE; now += MINUTE) engine.evaluateMonitor();
    reachable = true;
    engine.evaluateMonitor();
    expect(queued()).toEqual(["chat firing down @0", "pager firing down @10", "chat resolved down @13", "pager resolved down @13"]);
  });
});
