/**
 * The outbox on the service's store (SQLite; in the postgres project a PostgreSQL database,
 * test-store.ts): durable before a send, retried with back-off, in order per alert, exactly once across
 * a restart, and held while the store cannot record a delivery.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Outbox, type DeliveryResult } from "../../src/alerts/outbox.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../src/alerts/types.ts";
import { until } from "../support/service-harness.ts";
import { storedState } from "../support/stored-state.ts";
import { testSql } from "../support/test-sql.ts";
import { openTestStore } from "../support/test-store.ts";
import { alertState } from "../store/contract-fixtures.ts";

const logger = pino({ level: "silent" });

function message(key: string, kind: AlertMessage["kind"] = "firing"): AlertMessage {
  const at = new Date().toISOString();
  return { key, scope: "bot", kind, severity: "down", health: "down", since: at, at, activeUntil: at, summary: `${key} is down`, checks: [] };
}

/** A channel whose answers are scripted: each send takes the next outcome (default: delivered). */
function scripted(name: string, outcomes: Array<Error | "ok"> = []) {
  const delivered: AlertMessage[] = [];
  const attempts: number[] = [];
  const channel: Channel & { delivered: AlertMessage[]; attempts: number[] } = {
    name,
    type: "test",
    delivered,
    attempts,
    accepts: () => true,
    async send(m) {
      attempts.push(Date.now());
      const outcome = outcomes.shift() ?? "ok";
      if (outcome !== "ok") throw outcome;
      delivered.push(m);
    },
  };
  return channel;
}

describe("Outbox", () => {
  const stops: Array<() => void> = [];
  afterEach(() => stops.splice(0).forEach((s) => s()));

  /** An outbox on a store in `dir` (a new one by default; a previous setup's `dir` is a restart). */
  async function setup(channels: Channel[], dir = mkdtempSync(join(tmpdir(), "outbox-")), extra: Partial<ConstructorParameters<typeof Outbox>[0]> = {}) {
    const { store } = await openTestStore(dir);
    stops.push(() => void store.close().catch(() => undefined));
    const results: Array<[string, string, DeliveryResult]> = [];
    const outbox = new Outbox({ store, channels, logger, baseBackoffMs: 30, maxBackoffMs: 120, onResult: (c, k, r) => results.push([c, k, r]), ...extra });
    stops.push(() => outbox.stop());
    return { outbox, store, dir, results };
  }

  it("when a notification is queued, then it is in the database before the channel is asked to send it", async () => {
    let seenOnDisk: unknown;
    const dir = mkdtempSync(join(tmpdir(), "outbox-"));
    const { outbox } = await setup(
      [
        {
          name: "mail",
          type: "test",
          accepts: () => true,
          async send() {
            seenOnDisk = (await storedState(dir)).outbox;
          },
        },
      ],
      dir,
    );
    outbox.start();
    await outbox.enqueue(message("anna"));
    await until("the send", () => (seenOnDisk ? true : undefined), 2000);
    expect(seenOnDisk).toHaveLength(1);
    expect((seenOnDisk as Array<{ channel: string }>)[0]!.channel).toBe("mail");
  });

  it("when a channel fails twice then works, then the message is delivered once after backed-off retries", async () => {
    const channel = scripted("mail", [new ChannelError("connect ECONNREFUSED"), new ChannelError("connect ECONNREFUSED")]);
    const { outbox, results } = await setup([channel]);
    outbox.start();
    await outbox.enqueue(message("anna"));
    await until("delivery", () => (channel.delivered.length === 1 ? true : undefined), 3000);
    expect(channel.attempts).toHaveLength(3);
    const gaps = [channel.attempts[1]! - channel.attempts[0]!, channel.attempts[2]! - channel.attempts[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(25);
    expect(gaps[1]).toBeGreaterThanOrEqual(55); // doubled
    expect(results.map((r) => r[2])).toEqual(["failed", "failed", "sent"]);
    expect(outbox.size).toBe(0);
  });

  it("when a channel answers 429 with retry_after, then the next attempt waits at least that long", async () => {
    const channel = scripted("tg", [new ChannelError("Too Many Requests", { retryAfterMs: 400 })]);
    const { outbox } = await setup([channel]);
    outbox.start();
    await outbox.enqueue(message("anna"));
    await until("delivery", () => (channel.delivered.length === 1 ? true : undefined), 3000);
    expect(channel.attempts[1]! - channel.attempts[0]!).toBeGreaterThanOrEqual(390);
  });

  it("when a channel refuses permanently, then the message is dropped, counted and not retried", async () => {
    const channel = scripted("tg", [new ChannelError("Bad Request: chat not found", { permanent: true })]);
    const { outbox, results } = await setup([channel]);
    outbox.start();
    await outbox.enqueue(message("anna"));
    await until("the drop", () => (results.length === 1 ? true : undefined), 2000);
    await new Promise((r) => setTimeout(r, 200));
    expect(results).toEqual([["tg", "firing", "dropped"]]);
    expect(channel.attempts).toHaveLength(1);
    expect(outbox.size).toBe(0);
  });

  it("when a message stays undelivered past its expiry, then it is dropped", async () => {
    const channel = scripted("mail", Array.from({ length: 100 }, () => new ChannelError("down")));
    const { outbox, results } = await setup([channel], undefined, { expireAfterMs: 150 });
    outbox.start();
    await outbox.enqueue(message("anna"));
    await until("the drop", () => (results.some((r) => r[2] === "dropped") ? true : undefined), 2000);
    expect(outbox.size).toBe(0);
    expect(channel.delivered).toHaveLength(0);
  });

  it("when the firing message of an alert is still failing, then its resolved message waits behind it (order per alert)", async () => {
    const channel = scripted("mail");
    let annaFailures = 2;
    const send = channel.send.bind(channel);
    channel.send = async (m, signal) => {
      if (m.key === "anna" && annaFailures-- > 0) throw new ChannelError("down");
      return send(m, signal);
    };
    const { outbox } = await setup([channel]);
    outbox.start();
    await outbox.enqueue(message("anna", "firing"));
    await outbox.enqueue(message("anna", "resolved"));
    await outbox.enqueue(message("boris", "firing"));
    await until("all delivered", () => (channel.delivered.length === 3 ? true : undefined), 3000);
    const anna = channel.delivered.filter((m) => m.key === "anna").map((m) => m.kind);
    expect(anna).toEqual(["firing", "resolved"]);
    // boris was not held up by anna's retries.
    expect(channel.delivered[0]!.key).toBe("boris");
  });

  it("when a channel that was down takes a message again, then the backlog waiting on back-off goes out at once, not at the end of its back-off", async () => {
    const channel = scripted("mail");
    let down = true;
    let failed = 0;
    const send = channel.send.bind(channel);
    channel.send = async (m, signal) => {
      if (down && ++failed) throw new ChannelError("connect ECONNREFUSED");
      return send(m, signal);
    };
    const { outbox } = await setup([channel], undefined, { baseBackoffMs: 300, maxBackoffMs: 60_000 });
    outbox.start();
    await outbox.enqueue(message("anna"));
    // Attempts at 0, 300 and 900 ms fail: the next one would be 1,200 ms after the third.
    await until("three failed attempts", () => (failed === 3 ? true : undefined), 3000);
    const thirdAt = Date.now();
    down = false;
    await outbox.enqueue(message("boris"));
    await until("anna delivered", () => (channel.delivered.some((m) => m.key === "anna") ? true : undefined), 3000);
    expect(Date.now() - thirdAt).toBeLessThan(600);
    expect(channel.delivered.map((m) => m.key)).toEqual(["boris", "anna"]);
    expect(outbox.size).toBe(0);
  });

  it("when the process restarts with undelivered messages, then the new process delivers each exactly once", async () => {
    const failing = scripted("mail", Array.from({ length: 100 }, () => new ChannelError("down")));
    const first = await setup([failing]);
    first.outbox.start();
    await first.outbox.enqueue(message("anna"));
    await first.outbox.enqueue(message("boris"));
    await until("a failed attempt", () => (failing.attempts.length >= 2 ? true : undefined), 2000);
    first.outbox.stop();
    await first.store.close();

    const working = scripted("mail");
    const second = await setup([working], first.dir);
    expect(second.outbox.size).toBe(2);
    second.outbox.start();
    await until("delivery", () => (working.delivered.length === 2 ? true : undefined), 3000);
    await new Promise((r) => setTimeout(r, 200));
    expect(working.delivered.map((m) => m.key).sort()).toEqual(["anna", "boris"]);
    await second.store.flush();
    expect((await storedState(first.dir)).outbox).toEqual([]);
  });

  it("when the database takes no writes, then an entry already on disk is held while a new one goes out at once, and the held one goes out once a write succeeds", async () => {
    // Anna's retry comes a second after her first attempt: by then the store knows its writes fail.
    const channel = scripted("hook", [new ChannelError("Too Many Requests", { retryAfterMs: 1000 })]);
    const { outbox, store, dir } = await setup([channel]);
    outbox.start();
    await outbox.enqueue(message("anna")); // on disk before its first attempt
    await until("the failed attempt", () => (channel.attempts.length === 1 ? true : undefined), 2000);

    // Every write fails from now on (the outbox's and an alert state's, as on a full disk or a stopped server).
    const sql = await testSql(dir);
    stops.push(() => void sql.close());
    await sql.refuse("outbox", "disk says no");
    await sql.refuse("alert_states", "disk says no");
    store.alerts.put("anna", alertState(1)).catch(() => undefined); // any write: it fails
    await until("a failed state write", () => (store.writable ? undefined : true), 900);
    await new Promise((r) => setTimeout(r, Math.max(0, channel.attempts[0]! + 1300 - Date.now()))); // anna's retry is due
    // Delivered now, anna's removal could not be recorded: a restart would send it a second time.
    expect(channel.delivered).toEqual([]);

    // A notification decided now never reaches the disk, so a restart cannot repeat it: it goes out.
    await outbox.enqueue(message("boris"));
    await until("boris delivered", () => (channel.delivered.length === 1 ? true : undefined), 2000);

    await sql.allow("outbox");
    await sql.allow("alert_states");
    await until("anna delivered", () => (channel.delivered.length === 2 ? true : undefined), 3000);
    await new Promise((r) => setTimeout(r, 200));
    expect(channel.delivered.map((m) => m.key)).toEqual(["boris", "anna"]);
    await store.flush();
    expect((await storedState(dir)).outbox).toEqual([]);
  });

  it("when the process starts with entries on disk, then they go out after its first state write, without waiting for any other change", async () => {
    const failing = scripted("mail", [new ChannelError("down")]);
    const first = await setup([failing]);
    first.outbox.start();
    await first.outbox.enqueue(message("anna"));
    await until("a failed attempt", () => (failing.attempts.length === 1 ? true : undefined), 2000);
    first.outbox.stop();
    await first.store.close();

    const working = scripted("mail");
    const second = await setup([working], first.dir);
    second.outbox.start();
    await until("delivery", () => (working.delivered.length === 1 ? true : undefined), 2000);
    expect(second.store.stats.writes).toBeGreaterThanOrEqual(1);
  });
});
