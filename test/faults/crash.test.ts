/**
 * Issue 8, crashes, on the database (issue 14, acceptance 4): the real service as `start` runs it
 * (test/support/service-process.ts, for its short heartbeat and bookkeeping batch), 300 bots at a 500 ms
 * interval, some flapping all the time, so the database is written all the time, is killed with SIGKILL
 * again and again at random moments. After every kill nothing the database held may be lost: no silence
 * the admin API answered 201 for, no firing alert (it is still firing, or its resolution is queued), no
 * outbox entry (the alert receiver is down the whole time, so nothing was delivered). A last start with
 * the receiver up then delivers every queued notification exactly once. Then the history: the monitor's
 * runs have a gap over each time the process was down, no bot's health is known there, and a bot that
 * was healthy throughout is known exactly while the monitor ran.
 *
 * The figures (crashes survived, kills that landed on a write, what was lost, the gaps) are printed at the end.
 */
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/loopback-daemon.ts";
import { botName, botUsername, control, fleetBots, healthyWorldSpec } from "../support/healthy-fleet.ts";
import { downReceiver, kill9OnNextWrite, killAll, spawnService, startSandboxProcess, waitReady, type PortReceiver } from "../support/faults-process.ts";
import { readDatabase, type DatabaseState as StateData } from "../support/database-reader.ts";
import { crashHistory, type Outage } from "../support/crash-history.ts";
import { sleep } from "../support/service-harness.ts";

const BOTS = 300;
const CRASHES = 15;
/** Bots broken from the start; each crash round breaks one more and mends one of these. */
const BROKEN_AT_START = 8;
const ADMIN_TOKEN = "crash-test-admin-token-5d1f0c";
/** Short, so that the history knows the monitor ran until just before each kill. */
const TIMINGS = { heartbeatMs: 200, flushMs: 250 };
/** The last bots are never broken nor flapped: healthy for the whole test. */
const STEADY = 10;

interface Figures {
  crashes: number;
  /** Kills fired by a commit starting (odd rounds). */
  killsOnWrite: number;
  /** The write-ahead log's largest size after a kill (what the next start recovers from). */
  walMaxBytes: number;
  /** Flaps injected while the rounds ran (a bot's connection disabled for one sweep). */
  flaps: number;
  /** Gaps in the monitor's runs: the outages, and how much longer than the outage the largest gap was. */
  gaps: number;
  gapExcessMaxMs: number;
  falseKnown: number;
  steadyKnownRatio: number;
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
  walMaxBytes: 0,
  flaps: 0,
  gaps: 0,
  gapExcessMaxMs: 0,
  falseKnown: 0,
  steadyKnownRatio: 0,
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
  let dbPath: string;
  let configPath: string;
  let sandboxUrl: string;
  let receiverPort: number;
  let down: Awaited<ReturnType<typeof downReceiver>>;
  let receiver: PortReceiver | undefined;
  const config = (port: number) => ({
    telegram: { apiRoot: sandboxUrl, timeout: "5s" },
    schedule: { interval: "500ms", concurrency: 32 },
    server: { host: "127.0.0.1", port, adminToken: ADMIN_TOKEN },
    store: { path: dbPath, secretKey: "crash-test-secret-key-0123456789abcdef" },
    alerts: { failAfter: 2, recoverAfter: 2, channels: { capture: { type: "webhook", url: `http://127.0.0.1:${receiverPort}/hook` } } },
    bots: fleetBots(BOTS),
  });
  const writeConfig = (port: number) => writeFileSync(configPath, JSON.stringify(config(port)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "secretary-watch-crash-"));
    dbPath = join(dir, "secretary-watch.db");
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
      `[crash] ${figures.crashes} SIGKILLs survived (${figures.killsOnWrite} fired as a commit began; write-ahead log up to ${figures.walMaxBytes} bytes after a kill; ${figures.flaps} flaps); ` +
        `silences created ${figures.silencesCreated}, lost ${figures.silencesLost}; ` +
        `firing alerts seen ${figures.alertsFiringSeen}, lost ${figures.alertsLost}; ` +
        `outbox entries seen ${figures.outboxEntriesSeen}, lost ${figures.outboxLost}; ` +
        `after the receiver came back: delivered ${figures.delivered}, twice ${figures.deliveredTwice}, never ${figures.notDelivered} ` +
        `(crash rounds ${figures.loopMs} ms, final delivery ${figures.deliveryMs} ms); history: ${figures.gaps} gaps in the monitor's runs, ` +
        `each at most ${figures.gapExcessMaxMs} ms longer than the outage, bots known while down ${figures.falseKnown}, steady bots known ${(figures.steadyKnownRatio * 100).toFixed(1)} % of the test`,
    );
  });

  /**
   * Waits (up to 15 s) until the database shows round `round`'s change: its bot firing, and the bot it
   * mended resolved if that one was firing in `before`.
   */
  async function untilOnDisk(round: number, before: StateData | undefined): Promise<void> {
    const broken = botName(BROKEN_AT_START + round);
    const mended = round < BROKEN_AT_START && before?.alerts[botName(round)]?.firing ? botName(round) : undefined;
    const done = (state: StateData) =>
      state.alerts[broken]?.firing !== undefined && (!mended || state.outbox.some((e) => e.message.key === mended && e.message.kind === "resolved"));
    const deadline = Date.now() + 15_000;
    while (!done(readDatabase(dbPath))) {
      if (Date.now() > deadline) throw new Error(`round ${round}: the database never showed ${broken} firing${mended ? ` and ${mended} resolved` : ""}`);
      await sleep(50);
    }
  }

  it(`when the service is killed with SIGKILL ${CRASHES} times during heavy writes, then no silence, firing alert or queued notification is lost, each is delivered exactly once when the receiver is back, and the history has a gap wherever the process was down, with no bot known there`, async () => {
    const silences: string[] = [];
    const outboxSeen = new Set<string>();
    const firingSeen = new Set<string>();
    let previous: StateData | undefined;
    const outages: Outage[] = [];
    let exitedAt: number | undefined;
    const testStarted = Date.now();
    const loopStarted = Date.now();
    // Flapping bots: a sweep of a random bot sees its connection disabled, twice a second.
    let flapping = true;
    const flapper = (async () => {
      const flappable = BOTS - STEADY - (BROKEN_AT_START + CRASHES);
      while (flapping) {
        const bot = botUsername(BROKEN_AT_START + CRASHES + Math.floor(Math.random() * flappable));
        await control(sandboxUrl, "POST", "/faults", { bot, methods: ["getBusinessConnection"], patchResult: { is_enabled: false }, count: 1 });
        figures.flaps++;
        await sleep(500);
      }
    })();

    for (let round = 0; round < CRASHES; round++) {
      // The world keeps changing, so alerts keep firing and resolving: new notifications every round.
      await control(sandboxUrl, "PATCH", `/bots/${botUsername(BROKEN_AT_START + round)}`, { revoked: true });
      if (round < BROKEN_AT_START) await control(sandboxUrl, "PATCH", `/bots/${botUsername(round)}`, { revoked: false });

      const port = await freePort();
      writeConfig(port);
      const url = `http://127.0.0.1:${port}`;
      if (exitedAt !== undefined) outages.push({ from: exitedAt, to: Date.now() });
      const proc = spawnService(configPath, TIMINGS);
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
      // Odd rounds aim the kill at the next commit (the write-ahead log growing); even rounds kill blind.
      if (round % 2 === 1) {
        if (await kill9OnNextWrite(proc, dbPath, 2000)) figures.killsOnWrite++;
      } else await proc.kill9();
      exitedAt = Date.now();
      figures.crashes++;

      figures.walMaxBytes = Math.max(figures.walMaxBytes, statSync(`${dbPath}-wal`).size);
      const state = readDatabase(dbPath);

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

    flapping = false;
    await flapper;
    figures.loopMs = Date.now() - loopStarted;

    // The receiver is back: a last start delivers every queued notification, each exactly once.
    const queued = previous!.outbox;
    const deliveryStarted = Date.now();
    receiver = await down.up();
    const port = await freePort();
    writeConfig(port);
    outages.push({ from: exitedAt!, to: Date.now() });
    const proc = spawnService(configPath, TIMINGS);
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
    const after = readDatabase(dbPath);
    const stillQueued = new Set(queued.map((e) => e.id));
    expect(after.outbox.filter((e) => stillQueued.has(e.id))).toEqual([]);

    // The history, read on the database file: a gap wherever the process was down, and no false "up".
    const bots = Array.from({ length: BOTS }, (_, i) => botName(i));
    const history = await crashHistory(dbPath, {
      from: testStarted - 1000,
      to: Date.now(),
      outages,
      bots,
      steady: bots.slice(-STEADY),
      // The heartbeat's interval, plus the event loop's lag on a loaded 2-core machine.
      maxHeartbeatLagMs: TIMINGS.heartbeatMs + 2000,
    });
    figures.gaps = history.runs.length - 1;
    figures.gapExcessMaxMs = Math.max(...history.gapExcessMs);
    figures.falseKnown = history.falseKnown.length;
    figures.steadyKnownRatio = history.knownRatioOfSteady;
    expect(history.runProblems, "the monitor's runs").toEqual([]);
    expect(history.falseKnown, "health known while the monitor was down").toEqual([]);
    expect(history.knownMismatch, "steady bots' known time").toEqual([]);
    expect(figures.gaps).toBe(CRASHES);
  }, 180_000);
});
