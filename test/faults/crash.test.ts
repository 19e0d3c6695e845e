/**
 * Issue 8, crashes: the real service (the CLI), 300 bots at a 500 ms interval so the state file is
 * rewritten all the time, is killed with SIGKILL again and again at random moments. After every kill
 * the state file must parse, and nothing it held may be lost: no silence the admin API answered 201
 * for, no firing alert (it is still firing, or its resolution is queued), no outbox entry (the alert
 * receiver is down the whole time, so nothing was delivered). A last start with the receiver up then
 * delivers every queued notification exactly once.
 *
 * The figures (crashes survived, kills that landed mid-write, what was lost) are printed at the end.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WatchStateData as StateData } from "../../src/watch-state.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { botName, botUsername, control, fleetBots, healthyWorldSpec } from "../support/healthy-fleet.ts";
import { downReceiver, kill9OnNextWrite, killAll, leftoverTempFiles, readState, spawnCli, startSandboxProcess, waitReady, type PortReceiver } from "../support/faults-process.ts";
import { sleep } from "../support/service-harness.ts";

const BOTS = 300;
const CRASHES = 15;
/** Bots broken from the start; each crash round breaks one more and mends one of these. */
const BROKEN_AT_START = 8;
const ADMIN_TOKEN = "crash-test-admin-token-5d1f0c";

interface Figures {
  crashes: number;
  /** Kills fired by the state write starting (odd rounds). */
  killsOnWrite: number;
  /** Kills that left the write's temporary file behind: the write was cut short. */
  killsMidWrite: number;
  silencesCreated: number;
  silencesLost: number;
  alertsFiringSeen: number;
  alertsLost: number;
  outboxEntriesSeen: number;
  outboxLost: number;
  delivered: number;
  deliveredTwice: number;
  notDelivered: number;
  loopMs: number;
  deliveryMs: number;
}
const figures: Figures = {
  crashes: 0,
  killsOnWrite: 0,
  killsMidWrite: 0,
  silencesCreated: 0,
  silencesLost: 0,
  alertsFiringSeen: 0,
  alertsLost: 0,
  outboxEntriesSeen: 0,
  outboxLost: 0,
  delivered: 0,
  deliveredTwice: 0,
  notDelivered: 0,
  loopMs: 0,
  deliveryMs: 0,
};

/** A firing alert's identity: its key and the start of the streak that fired. */
const firingIds = (state: StateData) =>
  Object.entries(state.alerts).flatMap(([key, a]) => (a.firing ? [{ key, since: a.firing.since }] : []));
/** A notification's identity (an entry per notification: there is one channel). */
const messageId = (m: { key: string; kind: string; at: string }) => `${m.key} ${m.kind} ${m.at}`;

describe("crashes", () => {
  let dir: string;
  let statePath: string;
  let configPath: string;
  let sandboxUrl: string;
  let receiverPort: number;
  let down: Awaited<ReturnType<typeof downReceiver>>;
  let receiver: PortReceiver | undefined;
  const config = (port: number) => ({
    telegram: { apiRoot: sandboxUrl, timeout: "5s" },
    schedule: { interval: "500ms", concurrency: 32 },
    server: { host: "127.0.0.1", port, adminToken: ADMIN_TOKEN },
    store: { path: statePath, secretKey: "crash-test-secret-key-0123456789abcdef" },
    alerts: { failAfter: 2, recoverAfter: 2, channels: { capture: { type: "webhook", url: `http://127.0.0.1:${receiverPort}/hook` } } },
    bots: fleetBots(BOTS),
  });
  const writeConfig = (port: number) => writeFileSync(configPath, JSON.stringify(config(port)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "secretary-watch-crash-"));
    statePath = join(dir, "state.json");
    configPath = join(dir, "config.yaml");
    const worldPath = join(dir, "world.json");
    writeFileSync(worldPath, JSON.stringify(healthyWorldSpec(BOTS)));
    sandboxUrl = (await startSandboxProcess(worldPath, await freePort())).url;
    for (let i = 0; i < BROKEN_AT_START; i++) await control(sandboxUrl, "PATCH", `/bots/${botUsername(i)}`, { revoked: true });
    // Down until the last start: every delivery attempt fails and stays queued.
    down = await downReceiver();
    receiverPort = down.port;
  });

  afterAll(async () => {
    await killAll();
    await receiver?.close();
    await down?.close();
    console.log(
      `[crash] ${figures.crashes} SIGKILLs survived (${figures.killsOnWrite} fired as a state write began, ${figures.killsMidWrite} cut a write short); ` +
        `silences created ${figures.silencesCreated}, lost ${figures.silencesLost}; ` +
        `firing alerts seen ${figures.alertsFiringSeen}, lost ${figures.alertsLost}; ` +
        `outbox entries seen ${figures.outboxEntriesSeen}, lost ${figures.outboxLost}; ` +
        `after the receiver came back: delivered ${figures.delivered}, twice ${figures.deliveredTwice}, never ${figures.notDelivered} ` +
        `(crash rounds ${figures.loopMs} ms, final delivery ${figures.deliveryMs} ms)`,
    );
  });

  /**
   * Waits (up to 15 s) until the state file shows round `round`'s change: its bot firing, and the bot it
   * mended resolved if that one was firing in `before`.
   */
  async function untilOnDisk(round: number, before: StateData | undefined): Promise<void> {
    const broken = botName(BROKEN_AT_START + round);
    const mended = round < BROKEN_AT_START && before?.alerts[botName(round)]?.firing ? botName(round) : undefined;
    const done = (state: StateData) =>
      state.alerts[broken]?.firing !== undefined && (!mended || state.outbox.some((e) => e.message.key === mended && e.message.kind === "resolved"));
    const deadline = Date.now() + 15_000;
    while (!done(readState(statePath))) {
      if (Date.now() > deadline) throw new Error(`round ${round}: the state file never showed ${broken} firing${mended ? ` and ${mended} resolved` : ""}`);
      await sleep(50);
    }
  }

  it(`when the service is killed with SIGKILL ${CRASHES} times during heavy state writes, then the state file always parses and no silence, firing alert or queued notification is lost; each is delivered exactly once when the receiver is back`, async () => {
    const silences: string[] = [];
    const outboxSeen = new Set<string>();
    const firingSeen = new Set<string>();
    let previous: StateData | undefined;
    let tempFiles = 0;
    const loopStarted = Date.now();

    for (let round = 0; round < CRASHES; round++) {
      // The world keeps changing, so alerts keep firing and resolving: new notifications every round.
      await control(sandboxUrl, "PATCH", `/bots/${botUsername(BROKEN_AT_START + round)}`, { revoked: true });
      if (round < BROKEN_AT_START) await control(sandboxUrl, "PATCH", `/bots/${botUsername(round)}`, { revoked: false });

      const port = await freePort();
      writeConfig(port);
      const url = `http://127.0.0.1:${port}`;
      const proc = spawnCli(["start", "--config", configPath]);
      await waitReady(proc, `${url}/readyz`, 20_000);

      const res = await fetch(`${url}/api/v1/silences`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        // Matches no bot: a silence must not change which alerts fire.
        body: JSON.stringify({ matchers: { name: `maintenance-${round}` }, duration: "2h", reason: `crash round ${round}` }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      silences.push(((await res.json()) as { id: string }).id);

      // Even rounds first let this round's change reach the disk (the newly broken bot firing, the mended
      // one resolved), so the rounds cannot all end before anything new is written, however slow the
      // machine; the kill still comes at a random moment after that.
      if (round % 2 === 0) await untilOnDisk(round, previous);
      await sleep(200 + Math.floor(Math.random() * 1000));
      expect(proc.alive(), `the service died on its own in round ${round}:\n${proc.output()}`).toBe(true);
      // Odd rounds aim the kill at the next state write (the flush window is 1 s); even rounds kill blind.
      if (round % 2 === 1) {
        if (await kill9OnNextWrite(proc, statePath, 2000)) figures.killsOnWrite++;
      } else await proc.kill9();
      figures.crashes++;

      const state = readState(statePath);
      expect(state.version).toBe(1);
      const temps = leftoverTempFiles(statePath).length;
      if (temps > tempFiles) figures.killsMidWrite++;
      tempFiles = temps;

      // Silences: every one answered 201 is on disk.
      const stored = new Set(state.silences.map((s) => s.id));
      const lostSilences = silences.filter((id) => !stored.has(id));
      figures.silencesCreated = silences.length;
      figures.silencesLost += lostSilences.length;
      expect(lostSilences, `silences lost in round ${round}`).toEqual([]);

      // Outbox: nothing was delivered (the receiver is down), so every entry seen before is still there.
      const ids = new Set(state.outbox.map((e) => e.id));
      const lostEntries = (previous?.outbox ?? []).filter((e) => !ids.has(e.id)).map((e) => messageId(e.message));
      figures.outboxLost += lostEntries.length;
      expect(lostEntries, `outbox entries lost in round ${round}`).toEqual([]);
      for (const e of state.outbox) outboxSeen.add(e.id);

      // Firing alerts: each one firing before is still firing, or its resolution is queued.
      const firingNow = new Set(firingIds(state).map((f) => `${f.key} ${f.since}`));
      const lostAlerts = firingIds(previous ?? state).filter(
        (f) =>
          !firingNow.has(`${f.key} ${f.since}`) &&
          !state.outbox.some((e) => e.message.key === f.key && e.message.kind === "resolved" && e.message.since === f.since),
      );
      figures.alertsLost += lostAlerts.length;
      expect(lostAlerts, `firing alerts lost in round ${round}`).toEqual([]);
      for (const f of firingNow) firingSeen.add(f);

      figures.alertsFiringSeen = firingSeen.size;
      figures.outboxEntriesSeen = outboxSeen.size;
      previous = state;
    }
    // The rounds were not vacuous: alerts fired and resolved, and notifications were queued.
    expect(firingSeen.size).toBeGreaterThanOrEqual(BROKEN_AT_START);
    expect(previous!.outbox.some((e) => e.message.kind === "resolved")).toBe(true);
    expect(previous!.outbox.length).toBeGreaterThanOrEqual(BROKEN_AT_START);

    figures.loopMs = Date.now() - loopStarted;

    // The receiver is back: a last start delivers every queued notification, each exactly once.
    const queued = previous!.outbox;
    const deliveryStarted = Date.now();
    receiver = await down.up();
    const port = await freePort();
    writeConfig(port);
    const proc = spawnCli(["start", "--config", configPath]);
    await waitReady(proc, `http://127.0.0.1:${port}/readyz`, 20_000);
    // Retries already made before the crashes keep their back-off: wait for the latest one due.
    const latestDue = Math.max(...queued.map((e) => e.nextAttemptAt));
    const received = () => new Set((receiver!.bodies as Array<{ key: string; kind: string; at: string }>).map(messageId));
    const deadline = Math.max(Date.now(), latestDue) + 10_000;
    while (Date.now() < deadline && !queued.every((e) => received().has(messageId(e.message)))) await sleep(100);
    figures.deliveryMs = Date.now() - deliveryStarted;
    await sleep(1000); // a second delivery would come now, if at all
    proc.child.kill("SIGTERM");
    expect((await proc.exited).code, proc.output()).toBe(0);

    const counts = new Map<string, number>();
    for (const b of receiver.bodies as Array<{ key: string; kind: string; at: string }>) counts.set(messageId(b), (counts.get(messageId(b)) ?? 0) + 1);
    const missing = queued.filter((e) => !counts.has(messageId(e.message))).map((e) => messageId(e.message));
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    figures.delivered = queued.length - missing.length;
    figures.notDelivered = missing.length;
    figures.deliveredTwice = twice.length;
    expect(missing, "queued notifications never delivered").toEqual([]);
    expect(twice, "notifications delivered more than once").toEqual([]);
    const after = readState(statePath);
    const stillQueued = new Set(queued.map((e) => e.id));
    expect(after.outbox.filter((e) => stillQueued.has(e.id))).toEqual([]);
  }, 150_000);
});
