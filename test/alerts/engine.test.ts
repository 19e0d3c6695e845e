/**
 * Issue 12, item 5: no error on the alert path is swallowed. An alert step that fails (composing its
 * message, routing it to channels) changes nothing: the alert is not marked notified, so the next sweep
 * tries again; the error is logged with the alert's key and counted. Also: the state file takes alert
 * states and the outbox from one moment, so a write never holds the step without its notifications.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { AlertPolicy } from "../../src/alerts/state-machine.ts";
import type { AlertMessage, Channel } from "../../src/alerts/types.ts";
import { createLogger } from "../../src/log.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import type { BotStatus, MonitoredBot } from "../../src/model.ts";
import { StateStore, stateChunks } from "../../src/store/state-store.ts";
import type { WatchState, WatchStateData as StateData, WatchStore } from "../../src/watch-state.ts";
import { LogSink, until } from "../support/service-harness.ts";

const DAY = 86_400_000;
const bot: MonitoredBot = { name: "anna", token: "1:x", username: "anna_secretary_bot", ownerId: 1, probeChats: [], labels: {}, checks: {} };
const POLICY: AlertPolicy = { failAfter: 1, recoverAfter: 1, repeatIntervalMs: 4 * 3_600_000, sendResolved: true };

let sweeps = 0;
/** A finished sweep of anna that says `down`, a minute after the previous one. */
function downSweep(): BotStatus {
  const at = new Date(Date.UTC(2026, 10, 24, 12, sweeps++)).toISOString();
  return {
    name: bot.name,
    username: bot.username,
    health: "down",
    since: at,
    checkedAt: at,
    checks: [{ check: "token", status: "fail", message: "getMe: 401 Unauthorized", remediation: "new token", durationMs: 5, at, since: at }],
    observed: {},
  };
}

/** A channel that records what it is given; `accepts` may be made to throw. */
function capture(name = "hook") {
  const delivered: AlertMessage[] = [];
  const channel: Channel & { delivered: AlertMessage[]; refuseRouting: boolean } = {
    name,
    type: "test",
    delivered,
    refuseRouting: false,
    accepts() {
      if (this.refuseRouting) throw new Error("selector broken");
      return true;
    },
    async send(m) {
      delivered.push(m);
    },
  };
  return channel;
}

const errorCount = async (metrics: Metrics) => {
  const text = await metrics.registry.getSingleMetricAsString("secretary_alert_errors_total");
  return Number(/^secretary_alert_errors_total (\S+)$/m.exec(text)?.[1]);
};

describe("AlertEngine", () => {
  const stops: Array<() => unknown> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  async function setup(channel: Channel, store?: WatchStore) {
    store ??= await StateStore.open<WatchState>({ path: join(mkdtempSync(join(tmpdir(), "engine-")), "state.json"), flushIntervalMs: 20 });
    const logs = new LogSink();
    const logger = createLogger({ level: "debug", destination: logs });
    const outbox = new Outbox({ store, channels: [channel], logger });
    outbox.start();
    stops.push(() => outbox.stop());
    const metrics = new Metrics("test").attach({ bots: () => [], statuses: () => [], alertsFiring: () => ({ degraded: 0, down: 0 }), outboxSize: () => outbox.size });
    const engine = (policy: AlertPolicy) =>
      new AlertEngine({ store: store!, outbox, logger, policy, maintenance: [], statuses: () => [], monitorEvaluationMs: 60_000, onError: metrics.observeAlertError });
    const errors = () =>
      logs.text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; alert?: string; err?: { message: string } })
        .filter((l) => l.level >= 50);
    return { store, outbox, metrics, engine, errors };
  }

  it("when composing the alert's message throws (repeatInterval 99999999d: a date out of range), then the error is logged and counted, the alert is not marked notified, and once the cause is gone the notification goes out", async () => {
    const channel = capture();
    const { store, outbox, metrics, engine, errors } = await setup(channel);
    // The policy as the engine gets it, whatever the config schema allows: compose's activeUntil is out of Date's range.
    const broken = engine({ ...POLICY, repeatIntervalMs: 99_999_999 * DAY });

    expect(() => broken.onSweep(bot, downSweep())).not.toThrow();
    expect(() => broken.onSweep(bot, downSweep())).not.toThrow();

    // Each sweep tried again, and each failure is in the log with the alert's key, and counted.
    expect(errors().map((e) => e.alert)).toEqual(["anna", "anna"]);
    expect(errors()[0]!.err?.message).toMatch(/Invalid time value/);
    expect(await errorCount(metrics)).toBe(2);
    // Nothing changed: no firing alert marked as told, nothing queued, nothing sent.
    expect(store.alerts.get("anna")?.firing?.notified ?? null).toBeNull();
    expect(outbox.size).toBe(0);
    expect(channel.delivered).toEqual([]);

    // The cause is gone (the config fixed, the service restarted on the same state): the next sweep fires.
    const fixed = engine(POLICY);
    fixed.onSweep(bot, downSweep());
    await until("the firing notification", () => (channel.delivered.length > 0 ? true : undefined), 3000);
    expect(channel.delivered.map((m) => `${m.key} ${m.kind}`)).toEqual(["anna firing"]);
    expect(store.alerts.get("anna")?.firing?.notified).not.toBeNull();
    expect(await errorCount(metrics)).toBe(2);
  });

  it("when routing the message to the channels throws, then the alert stays as it was and the next sweep, with routing working again, sends it", async () => {
    const channel = capture();
    const { store, outbox, metrics, engine, errors } = await setup(channel);
    const alerts = engine(POLICY);

    channel.refuseRouting = true;
    alerts.onSweep(bot, downSweep());
    expect(errors().map((e) => [e.alert, e.err?.message])).toEqual([["anna", "selector broken"]]);
    expect(await errorCount(metrics)).toBe(1);
    expect(store.alerts.get("anna")).toBeUndefined();
    expect(outbox.size).toBe(0);

    channel.refuseRouting = false;
    alerts.onSweep(bot, downSweep());
    await until("the firing notification", () => (channel.delivered.length > 0 ? true : undefined), 3000);
    expect(channel.delivered.map((m) => `${m.key} ${m.kind}`)).toEqual(["anna firing"]);
  });

  it("when alert states and the outbox change while a state write is under way, then the file holds both changes or neither", () => {
    const data: StateData = { version: 1, results: { anna: downSweep() }, alerts: {}, outbox: [], silences: [], bots: {}, connections: {} };
    const pieces = stateChunks(data);
    let text = "";
    let changed = false;
    for (const piece of pieces) {
      text += piece;
      // The write has taken some pieces (up to the alert states) when an alert step commits.
      if (!changed && text.includes('"alerts":')) {
        changed = true;
        data.alerts.anna = { badStreak: 1, badSince: "x", badWorst: "down", goodStreak: 0, firing: { since: "x", severity: "down", notified: { severity: "down", at: "x" } } };
        data.outbox.push({ id: "1", channel: "hook", message: {} as AlertMessage, createdAt: "x", attempts: 0, nextAttemptAt: 0 });
      }
    }
    const written = JSON.parse(text) as StateData;
    expect({ alerts: Object.keys(written.alerts).length, outbox: written.outbox.length }).toEqual({ alerts: 0, outbox: 0 });
  });
});
