/**
 * Issue 12, item 10: notifications delivered while the state file could not be written were sent
 * again after kill -9 and a restart (6 duplicates), because their removal from the outbox never
 * reached the disk. The real service (the CLI) keeps its state on a tmpfs that the test remounts
 * read-only between runs, and a webhook receiver counts what arrives:
 *
 * 1. disk writable, receiver down: alerts fire and resolve; their notifications wait in the outbox on disk;
 * 2. disk read-only, receiver up: the queued notifications must be held (delivered now, a restart would
 *    repeat them), while an alert decided now goes out at once (it is on no disk); then kill -9;
 * 3. disk writable again, restart: every queued notification arrives, each exactly once.
 *
 * The figures (what arrived in each phase, what arrived twice) are printed at the end.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/loopback-daemon.ts";
import { botName, botUsername, control, fleetBots, healthyWorldSpec } from "../support/healthy-fleet.ts";
import { downReceiver, killAll, spawnCli, startSandboxProcess, waitReady, type PortReceiver, type Proc } from "../support/faults-process.ts";
import { readDatabase, type DatabaseState } from "../support/database-reader.ts";
import { mountTmpfs, type ReadOnlyDisk } from "../support/read-only-disk.ts";
import { sleep } from "../support/service-harness.ts";

const BOTS = 12;
/** Broken in phase 1: they fire; the first two are mended again, so they resolve too. */
const FIRING = [0, 1, 2, 3];
const RESOLVING = [0, 1];
/** Broken in phase 2, while the disk is read-only. */
const LATE = 8;

type Body = { key: string; kind: string; at: string };
/** A notification's identity (one channel: one entry per notification). */
const messageId = (m: Body) => `${m.key} ${m.kind} ${m.at}`;

describe("a read-only disk", () => {
  let disk: ReadOnlyDisk | undefined;
  let receiver: PortReceiver | undefined;
  const figures = { queuedOnDisk: 0, sentWhileReadOnly: 0, heldWhileReadOnly: 0, lateFiringWhileReadOnly: 0, deliveredAfterRestart: 0, deliveredTwice: 0, lateFiringDecidedAgain: 0 };

  beforeAll(() => {
    disk = mountTmpfs();
  });
  afterAll(async () => {
    await killAll();
    await receiver?.close();
    disk?.close();
    console.log(
      `[read-only disk] queued on disk ${figures.queuedOnDisk}; while read-only: sent ${figures.sentWhileReadOnly} of them, held ${figures.heldWhileReadOnly}, ` +
        `the alert decided meanwhile sent ${figures.lateFiringWhileReadOnly}; after kill -9 and restart: delivered ${figures.deliveredAfterRestart}, ` +
        `twice ${figures.deliveredTwice}; the alert decided while read-only decided again after the crash: ${figures.lateFiringDecidedAgain}`,
    );
  });

  it("when notifications queued on disk meet a read-only disk, a kill -9 and a restart, then they are held while it is read-only and each is delivered exactly once afterwards; an alert decided meanwhile still goes out at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-ro-"));
    const dbPath = join(disk!.dir, "secretary-watch.db");
    const configPath = join(dir, "config.yaml");
    const worldPath = join(dir, "world.json");
    writeFileSync(worldPath, JSON.stringify(healthyWorldSpec(BOTS)));
    const sandboxUrl = (await startSandboxProcess(worldPath, await freePort())).url;
    const down = await downReceiver(); // down in phase 1
    const receiverPort = down.port;
    const start = async (): Promise<Proc> => {
      const port = await freePort();
      writeFileSync(
        configPath,
        JSON.stringify({
          telegram: { apiRoot: sandboxUrl, timeout: "2s" },
          schedule: { interval: "500ms" },
          server: { host: "127.0.0.1", port },
          store: { path: dbPath },
          alerts: { failAfter: 1, recoverAfter: 1, channels: { capture: { type: "webhook", url: `http://127.0.0.1:${receiverPort}/hook` } } },
          bots: fleetBots(BOTS),
        }),
      );
      const proc = spawnCli(["start", "--config", configPath]);
      await waitReady(proc, `http://127.0.0.1:${port}/readyz`, 20_000);
      return proc;
    };
    const onDisk = async (what: string, done: (state: DatabaseState) => boolean) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const state = (() => {
          try {
            return readDatabase(dbPath);
          } catch {
            return undefined; // not written yet
          }
        })();
        if (state && done(state)) return state;
        if (Date.now() > deadline) throw new Error(`the database never showed ${what}`);
        await sleep(50);
      }
    };
    const count = (state: DatabaseState, kind: string, bots: number[]) =>
      bots.every((i) => state.outbox.some((e) => e.message.key === botName(i) && e.message.kind === kind));

    // Phase 1: the disk is writable, the receiver down. Alerts fire, two resolve; all of it waits on disk.
    for (const i of FIRING) await control(sandboxUrl, "PATCH", `/bots/${botUsername(i)}`, { revoked: true });
    const first = await start();
    await onDisk("the firing notifications", (s) => count(s, "firing", FIRING));
    for (const i of RESOLVING) await control(sandboxUrl, "PATCH", `/bots/${botUsername(i)}`, { revoked: false });
    const queued = (await onDisk("the resolved notifications", (s) => count(s, "resolved", RESOLVING))).outbox;
    await first.kill9();
    const state = readDatabase(dbPath);
    expect(state.outbox.map((e) => e.id)).toEqual(expect.arrayContaining(queued.map((e) => e.id)));
    figures.queuedOnDisk = state.outbox.length;
    expect(state.outbox.map((e) => `${e.message.key} ${e.message.kind}`).sort()).toEqual(["bot-0 firing", "bot-0 resolved", "bot-1 firing", "bot-1 resolved", "bot-2 firing", "bot-3 firing"]);

    // Phase 2: the disk is read-only, the receiver up, and one more bot breaks.
    disk!.readOnly();
    receiver = await down.up();
    await control(sandboxUrl, "PATCH", `/bots/${botUsername(LATE)}`, { revoked: true });
    const second = await start();
    const isLate = (b: Body) => b.key === botName(LATE) && b.kind === "firing";
    const deadline = Date.now() + 15_000;
    while (!(receiver.bodies as Body[]).some(isLate) && Date.now() < deadline) await sleep(50);
    // Every queued notification's retry is due by now, with time to spare for its delivery.
    const latestDue = Math.max(...state.outbox.map((e) => e.nextAttemptAt));
    await sleep(Math.max(2000, latestDue + 2000 - Date.now()));
    expect(second.output(), "no state write failed: the disk was not read-only").toMatch(/state write failed/);
    const whileReadOnly = (receiver.bodies as Body[]).slice();
    const queuedIds = new Set(state.outbox.map((e) => messageId(e.message)));
    figures.sentWhileReadOnly = whileReadOnly.filter((b) => queuedIds.has(messageId(b))).length;
    figures.heldWhileReadOnly = queuedIds.size - figures.sentWhileReadOnly;
    figures.lateFiringWhileReadOnly = whileReadOnly.filter(isLate).length;
    await second.kill9();

    // Phase 3: the disk is writable again; a restart delivers what was held.
    disk!.writable();
    const third = await start();
    const received = () => new Set((receiver!.bodies as Body[]).map(messageId));
    const until = Date.now() + 20_000;
    while (Date.now() < until && ![...queuedIds].every((id) => received().has(id))) await sleep(100);
    await sleep(1500); // a second delivery would come now, if at all
    third.child.kill("SIGTERM");
    expect((await third.exited).code, third.output()).toBe(0);

    const counts = new Map<string, number>();
    for (const b of receiver.bodies as Body[]) counts.set(messageId(b), (counts.get(messageId(b)) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    figures.deliveredAfterRestart = [...queuedIds].filter((id) => counts.has(id)).length - figures.sentWhileReadOnly;
    figures.deliveredTwice = twice.length;
    figures.lateFiringDecidedAgain = (receiver.bodies as Body[]).filter(isLate).length - figures.lateFiringWhileReadOnly;

    // Held while the disk could not record their delivery; the alert decided meanwhile went out anyway.
    expect(whileReadOnly.filter((b) => queuedIds.has(messageId(b))).map(messageId), "sent while their removal could not be recorded").toEqual([]);
    expect(figures.lateFiringWhileReadOnly).toBe(1);
    // Afterwards each queued notification arrived, and none twice.
    expect([...queuedIds].filter((id) => !counts.has(id)), "never delivered").toEqual([]);
    expect(twice, "delivered more than once").toEqual([]);
  }, 90_000);
});
