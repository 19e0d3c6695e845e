/**
 * What the service records in the history as things happen (SPEC §11), on the service's store (SQLite on
 * disk; in the postgres project a PostgreSQL database, test-store.ts):
 * sweeps record changes only, an alert's firing is one incident across a restart, a muted firing and an
 * unannounced resolution are still recorded, a removed bot's firing ends, and writes reach the disk with
 * the store's commit.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { AlertPolicy } from "../../src/alerts/state-machine.ts";
import type { Channel } from "../../src/alerts/types.ts";
import { recordSweep } from "../../src/history/sweep-recorder.ts";
import { notificationRecorder } from "../../src/history/notification-recorder.ts";
import { createLogger } from "../../src/log.ts";
import type { BotStatus, Health, MonitoredBot } from "../../src/model.ts";
import { openTestStore } from "../support/test-store.ts";
import { testSql } from "../support/test-sql.ts";

const logger = createLogger({ level: "silent" });
const POLICY: AlertPolicy = { failAfter: 2, recoverAfter: 1, repeatIntervalMs: 10 * 60_000, sendResolved: true };
const T0 = Date.UTC(2026, 10, 24, 12);
const M = 60_000;
const anna: MonitoredBot = { name: "anna", token: "1:anna", username: "anna_secretary_bot", ownerId: 1, probeChats: [], labels: { team: "ops" }, checks: {} };

/** A sweep of anna `minute` minutes after T0; `webhook` fails when the health is bad. */
function sweep(minute: number, health: Health, previous?: BotStatus): BotStatus {
  const at = new Date(T0 + minute * M).toISOString();
  const webhook = health === "healthy" ? "ok" : health === "unknown" ? "unknown" : health === "down" ? "fail" : "warn";
  const result = (check: string, status: "ok" | "fail" | "warn" | "unknown", message?: string) => {
    const before = previous?.checks.find((c) => c.check === check);
    return { check, status, ...(message && { message }), durationMs: 1, at, since: before?.status === status ? before.since : at };
  };
  return {
    name: anna.name,
    username: anna.username,
    health,
    since: previous?.health === health ? previous.since : at,
    checkedAt: at,
    checks: [result("token", "ok"), result("webhook", webhook, webhook === "ok" ? undefined : "last_error_message: Connection refused")],
    observed: {},
  };
}

/** Successive sweeps of anna, each carrying the previous one's `since`s. */
function sweeps(): (minute: number, health: Health) => BotStatus {
  let last: BotStatus | undefined;
  return (minute, health) => (last = sweep(minute, health, last));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "recording-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The rows of a query on the store's database, read by a second connection (what a restart would find). */
async function stored<T>(query: string): Promise<T[]> {
  const sql = await testSql(dir);
  try {
    return await sql.all<T>(query);
  } finally {
    await sql.close();
  }
}

/** anna's health transitions as stored: "minute health", with the message of each. */
const healthTransitions = async () =>
  (await stored<{ at: number; health: string; message: string | null }>("SELECT at, health, message FROM health_transitions WHERE bot = 'anna' ORDER BY at")).map((t) => ({ minute: (t.at - T0) / M, health: t.health, message: t.message }));
const alertEventKinds = async () => (await stored<{ kind: string }>("SELECT kind FROM alert_events ORDER BY id")).map((r) => r.kind);

async function open() {
  const { store, history } = await openTestStore(dir);
  const sent: string[] = [];
  const channel: Channel = { name: "mail", type: "test", accepts: () => true, send: async (m) => void sent.push(`${m.kind} ${m.key}`) };
  const outbox = new Outbox({ store, channels: [channel], logger, baseBackoffMs: 10 });
  outbox.listen(notificationRecorder(history));
  const engine = new AlertEngine({ store, outbox, logger, policy: POLICY, maintenance: [], statuses: () => [], monitorEvaluationMs: 60_000, history });
  /** Records a sweep the way the service does: the result, its changes in the history, the alert step. */
  const record = (status: BotStatus) => {
    recordSweep(history, status, store.results.get(status.name));
    void store.results.put(status.name, status);
    engine.onSweep(anna, status);
  };
  return { store, history, outbox, engine, record, sent };
}

describe("recording the history", () => {
  it("when sweeps repeat the same verdicts, then only the first and each change are recorded, with the failing check's message", async () => {
    const { store, record } = await open();
    let last: BotStatus | undefined;
    for (const [minute, health] of [[0, "healthy"], [1, "healthy"], [2, "down"], [3, "down"], [4, "down"], [5, "healthy"], [6, "healthy"]] as const) {
      last = sweep(minute, health, last);
      record(last);
    }
    await store.close();
    const transitions = await healthTransitions();
    expect(transitions.map((t) => [t.minute, t.health])).toEqual([[0, "healthy"], [2, "down"], [5, "healthy"]]);
    expect(transitions[1]!.message).toBe("webhook fail: last_error_message: Connection refused");
    const checks = await stored<{ at: number; check_name: string; status: string }>("SELECT at, check_name, status FROM check_transitions WHERE bot = 'anna' ORDER BY at, check_name");
    expect(checks.map((c) => `${(c.at - T0) / M} ${c.check_name} ${c.status}`)).toEqual(["0 token ok", "0 webhook ok", "2 webhook fail", "5 webhook ok"]);
  });

  it("when the monitor restarts while an alert fires, then the firing goes on as one incident that ends when the bot recovers", async () => {
    const first = await open();
    const next = sweeps();
    first.record(next(0, "down"));
    first.record(next(1, "down"));
    await first.store.flush();
    expect(await first.history.openIncident("anna")).toMatchObject({ start: T0, firedAt: T0 + M, end: null, worst: "down", checks: [{ check: "webhook", status: "fail" }] });
    await first.store.close();

    const second = await open();
    second.record(next(5, "down"));
    second.record(next(6, "healthy"));
    await second.store.flush();
    const incidents = await second.history.incidents({});
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ id: `anna@${new Date(T0).toISOString()}`, start: T0, firedAt: T0 + M, end: T0 + 6 * M, silenced: false });
    expect(await second.history.openIncident("anna")).toBeNull();
    await second.store.close();
  });

  it("when a firing is muted by a silence and its resolution is not announced, then the incident is still recorded, silenced, and ends", async () => {
    const { store, history, engine, record } = await open();
    await store.silences.add([{ id: "s1", matchers: { name: "anna" }, startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + 3 * M).toISOString(), reason: "deploy" }]);
    const next = sweeps();
    record(next(0, "down"));
    record(next(1, "down"));
    record(next(2, "down"));
    expect(store.outbox.size).toBe(0); // muted: nothing announced
    record(next(4, "healthy"));
    expect(store.outbox.size).toBe(0); // nothing was announced, so no resolution is
    await store.flush();
    expect(await alertEventKinds()).toEqual(["fired", "silenced", "resolved"]);
    expect(await history.incidents({})).toMatchObject([{ start: T0, end: T0 + 4 * M, silenced: true }]);
    engine.stop();
    await store.close();
  });

  it("when a firing bot is removed from the fleet, then its incident ends and nothing is left open for it", async () => {
    const { store, history, engine, record } = await open();
    const next = sweeps();
    record(next(0, "degraded"));
    record(next(1, "degraded"));
    record(next(2, "down"));
    await store.flush();
    expect(await history.openIncident("anna")).toMatchObject({ worst: "down" });
    engine.forget("anna");
    await store.flush();
    expect(await history.openIncident("anna")).toBeNull();
    expect(await alertEventKinds()).toEqual(["fired", "escalated", "resolved"]);
    await store.close();
  });

  it("when a notification is delivered, then its attempt is recorded with the incident it announces", async () => {
    const { store, history, outbox, record, sent } = await open();
    outbox.start();
    const next = sweeps();
    record(next(0, "down"));
    record(next(1, "down"));
    await expect.poll(() => sent).toEqual(["firing anna"]);
    await expect.poll(async () => (await history.notifications({})).length).toBe(1);
    expect((await history.notifications({}))[0]).toMatchObject({ alertKey: "anna", channel: "mail", kind: "firing", result: "sent", attempts: 1, error: null });
    expect((await history.openIncident("anna"))!.notifications).toMatchObject([{ channel: "mail", kind: "firing", result: "sent" }]);
    outbox.stop();
    await store.close();
  });

  it("when the database refuses a commit, then the history writes wait with the state and reach the database with the next commit", async () => {
    const { store, record } = await open();
    record(sweep(0, "healthy"));
    await store.flush();
    const sql = await testSql(dir);
    await sql.refuse("health_transitions", "disk says no");
    record(sweep(1, "down", store.results.get("anna")));
    await expect(store.flush()).rejects.toThrow(/disk says no/);
    expect(store.writable).toBe(false);
    await sql.allow("health_transitions");
    await sql.close();
    await store.flush();
    expect((await healthTransitions()).map((t) => t.health)).toEqual(["healthy", "down"]);
    await store.close();
  });
});
