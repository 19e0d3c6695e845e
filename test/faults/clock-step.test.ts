/**
 * Issue 12, item 1: the real service (the CLI) under libfaketime, its wall clock stepped back an hour
 * and then forward an hour while monotonic time runs on (FAKETIME_DONT_FAKE_MONOTONIC), as NTP or a
 * VM resume does. After each step every bot must be swept again within one interval; notifications
 * queued while the receiver was down are delivered once it is up; nothing else is sent.
 *
 * The sandbox and the receiver run in this (unfaked) process. Figures are printed at the end.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { ensureDebianPackage } from "../support/debian.ts";
import { downReceiver, killAll, spawnCli, waitReady, type PortReceiver, type Proc } from "../support/faults-process.ts";
import { botName, botUsername, control, fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { sleep } from "../support/service-harness.ts";

const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const BOTS = 6;
const BROKEN = [0, 1];
const INTERVAL_MS = 2000;
/** Room for a sweep's own duration and this test's polling on a loaded machine. */
const SLACK_MS = 1000;

interface BotView {
  name: string;
  checks: Array<{ at: string }>;
}

describe("wall-clock steps (libfaketime)", () => {
  let sandbox: Sandbox;
  let dir: string;
  let proc: Proc;
  let url: string;
  let receiver: PortReceiver | undefined;
  const figures: string[] = [];

  beforeAll(async () => {
    ensureDebianPackage("libfaketime", LIBFAKETIME);
    sandbox = await startSandbox({ world: healthyWorld(BOTS) });
    for (const i of BROKEN) await control(sandbox.url, "PATCH", `/bots/${botUsername(i)}`, { revoked: true });
  });

  afterAll(async () => {
    await killAll();
    await receiver?.close();
    await sandbox?.close();
    console.log(`[clock-step] ${figures.join("; ")}`);
  });

  /** Each bot's latest sweep as the time its first check ran (the service's wall clock). */
  const checkedAt = async (): Promise<Map<string, string | null>> => {
    const view = (await (await fetch(`${url}/status`)).json()) as { bots: BotView[] };
    return new Map(view.bots.map((b) => [b.name, b.checks[0]?.at ?? null]));
  };

  /** Real ms until every bot has a checkedAt other than in `before` (a new sweep). */
  async function untilAllSwept(before: Map<string, string | null>, timeoutMs: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      const now = await checkedAt();
      const waiting = [...before].filter(([name, at]) => now.get(name) === at).map(([name]) => name);
      if (waiting.length === 0) return Math.round(performance.now() - started);
      if (performance.now() - started > timeoutMs) throw new Error(`not swept within ${timeoutMs} ms of the step: ${waiting.join(", ")}\n${proc.output()}`);
      await sleep(50);
    }
  }

  it("when the wall clock steps back an hour and then forward an hour, then every bot is swept within one interval of each step and the queued notifications go out once", async () => {
    dir = mkdtempSync(join(tmpdir(), "secretary-watch-clock-"));
    const offsetFile = join(dir, "faketime");
    writeFileSync(offsetFile, "+0\n");
    const port = await freePort();
    const down = await downReceiver(); // down until after the first step: deliveries fail and wait
    const receiverPort = down.port;
    const configPath = join(dir, "config.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        telegram: { apiRoot: sandbox.url, timeout: "1s" },
        schedule: { interval: `${INTERVAL_MS}ms` },
        server: { host: "127.0.0.1", port },
        store: { path: join(dir, "state.json") },
        alerts: { failAfter: 1, recoverAfter: 1, channels: { capture: { type: "webhook", url: `http://127.0.0.1:${receiverPort}/hook` } } },
        bots: fleetBots(BOTS),
      }),
    );
    proc = spawnCli(["start", "--config", configPath], {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: offsetFile,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    });
    url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/readyz`, 20_000);
    // The broken bots fired; their notifications are queued, the first attempt refused.
    const queuedBy = performance.now() + 10_000;
    while (!(await checkedAt()).get(botName(BROKEN[0]!)) || !(await checkedAt()).get(botName(BROKEN[1]!))) {
      if (performance.now() > queuedBy) throw new Error(`the broken bots were never swept\n${proc.output()}`);
      await sleep(50);
    }
    await sleep(300);

    writeFileSync(offsetFile, "-1h\n");
    const backAt = performance.now();
    const afterBack = await untilAllSwept(await checkedAt(), INTERVAL_MS * 3);
    receiver = await down.up();
    const deliveredBy = performance.now() + 20_000;
    while (receiver.bodies.length < BROKEN.length) {
      if (performance.now() > deliveredBy) throw new Error(`queued notifications not delivered after the step back (${receiver.bodies.length})\n${proc.output()}`);
      await sleep(50);
    }
    const deliveryMs = Math.round(performance.now() - backAt);

    writeFileSync(offsetFile, "+0\n");
    const afterForward = await untilAllSwept(await checkedAt(), INTERVAL_MS * 3);
    await sleep(2 * INTERVAL_MS); // time for anything spurious to show
    const health = await fetch(`${url}/healthz`);

    figures.push(`swept all ${BOTS} bots ${afterBack} ms after −1 h and ${afterForward} ms after +1 h (interval ${INTERVAL_MS} ms)`);
    figures.push(`queued notifications delivered ${deliveryMs} ms after the step back, ${receiver.bodies.length} received`);
    expect(afterBack).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    expect(afterForward).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    const received = (receiver.bodies as Array<{ key: string; kind: string }>).map((b) => `${b.key} ${b.kind}`).sort();
    expect(received).toEqual(BROKEN.map((i) => `${botName(i)} firing`).sort());
    expect(health.status).toBe(200);
  }, 60_000);
});
