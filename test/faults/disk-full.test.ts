/**
 * Issue 20, "Disk full and read-only store", acceptance 1: the disk that holds the SQLite database
 * (a tmpfs of its own) is filled to the last block for 2 minutes while bots fail and recover through
 * the sandbox, then freed. Meanwhile the monitor sweeps on schedule, /status, /metrics, the page and
 * /readyz keep answering from memory, the refused commits are counted (secretary_store_errors_total),
 * and every alert decided goes out at once (the outbox holds it in memory). Afterwards the file is
 * intact, every notification arrived exactly once, and what was decided during the outage (alert
 * states, last results, the history's transitions, events and notification attempts) is in the file,
 * as a restart on it shows. The figures are printed at the end.
 */
import { DatabaseSync } from "node:sqlite";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/loopback-daemon.ts";
import { botName, botUsername, control, deliveries, fleetBots, healthyWorldSpec } from "../support/healthy-fleet.ts";
import { killAll, spawnCli, startSandboxProcess, waitReady, type Proc } from "../support/faults-process.ts";
import { httpReceiver, closeHttpReceivers } from "../support/http-receiver.ts";
import { mountTmpfs, type ReadOnlyDisk } from "../support/read-only-disk.ts";
import { fillDisk, type Filler } from "../support/full-disk.ts";
import { readDatabase } from "../support/database-reader.ts";
import { lagBetween, lagQuantileMs, scrapeScheduleLag } from "../support/schedule-lag.ts";
import { sweepsByBot } from "../support/replica-fleet.ts";
import { sleep } from "../support/service-harness.ts";

const BOTS = 30;
const INTERVAL = 1_000;
const OUTAGE_MS = 120_000;
/** During the outage, every CYCLE_MS three more bots break; all but the last three mend half a cycle later. */
const CYCLE_MS = 20_000;
const CYCLES = OUTAGE_MS / CYCLE_MS;
const cycleBots = (c: number) => [3 * c, 3 * c + 1, 3 * c + 2];
const STILL_BROKEN = cycleBots(CYCLES - 1);
const ADMIN_TOKEN = "disk-full-test-admin-token-8c1e";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
const figures: Record<string, unknown> = {};

const storeErrors = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^secretary_store_errors_total\{operation="commit"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
};
const silence = (url: string, bot: string, reason: string) =>
  fetch(`${url}/api/v1/silences`, { method: "POST", headers: admin, body: JSON.stringify({ matchers: { name: bot }, duration: "2h", reason }) });
const revoke = (sandbox: string, i: number, revoked: boolean) => control(sandbox, "PATCH", `/bots/${botUsername(i)}`, { revoked });

describe("a full disk under the database", () => {
  let disk: ReadOnlyDisk | undefined;
  let filler: Filler | undefined;

  afterAll(async () => {
    console.log(`[disk-full] ${JSON.stringify(figures)}`);
    await killAll();
    await closeHttpReceivers();
    filler?.free();
    disk?.close(); // after every process on it is gone: no mount is left behind
  });

  it("when the disk is full for 2 minutes while alerts fire and resolve, then the monitor sweeps and serves, every notification arrives once, the file is intact and all that was decided is written once space returns", async () => {
    disk = mountTmpfs(8);
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-full-"));
    const dbPath = join(disk.dir, "secretary-watch.db");
    const configPath = join(dir, "config.yaml");
    const worldPath = join(dir, "world.json");
    writeFileSync(worldPath, JSON.stringify(healthyWorldSpec(BOTS)));
    const sandbox = (await startSandboxProcess(worldPath, await freePort())).url;
    const receiver = await httpReceiver({ status: 200 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    writeFileSync(
      configPath,
      JSON.stringify({
        telegram: { apiRoot: sandbox, timeout: "2s" },
        schedule: { interval: `${INTERVAL}ms` },
        server: { host: "127.0.0.1", port, adminToken: ADMIN_TOKEN },
        store: { path: dbPath },
        alerts: { failAfter: 1, recoverAfter: 1, channels: { capture: { type: "webhook", url: `${receiver.url}/hook` } } },
        bots: fleetBots(BOTS),
      }),
    );
    const start = async (): Promise<Proc> => {
      const proc = spawnCli(["start", "--config", configPath]);
      await waitReady(proc, `${url}/readyz`, 20_000);
      return proc;
    };
    const service = await start();
    await sleep(3 * INTERVAL);
    const before = await silence(url, botName(BOTS - 1), "acknowledged before the disk filled");
    expect(before.status).toBe(201);

    // The outage: the disk is full; bots break and mend; everything is polled all along.
    const errorsBefore = await storeErrors(url);
    const lagBefore = await scrapeScheduleLag(url);
    const sweptBefore = await sweepsByBot(sandbox);
    filler = fillDisk(disk.dir);
    const fullAt = Date.now();
    const polls = { readyz: 0, readyzFailures: 0, serveFailures: 0 };
    let polling = true;
    const poller = (async () => {
      for (let n = 0; polling; n++) {
        polls.readyz++;
        if ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) polls.readyzFailures++;
        // /status answers 503 while a bot is down (its health, not its own); the others 200.
        const [path, ok] = ([["/status", [200, 503]], ["/metrics", [200]], ["/", [200]]] as const)[n % 3]!;
        if (!(ok as readonly number[]).includes(await fetch(`${url}${path}`).then((r) => r.status, () => 0))) polls.serveFailures++;
        await sleep(200);
      }
    })();
    const during = await silence(url, botName(BOTS - 2), "made while the disk is full");
    for (let c = 0; c < CYCLES; c++) {
      for (const i of cycleBots(c)) await revoke(sandbox, i, true);
      await sleep(CYCLE_MS / 2 - (Date.now() - fullAt - c * CYCLE_MS));
      if (c < CYCLES - 1) for (const i of cycleBots(c)) await revoke(sandbox, i, false);
      await sleep(CYCLE_MS - (Date.now() - fullAt - c * CYCLE_MS));
    }
    polling = false;
    await poller;
    const errorsDuring = (await storeErrors(url)) - errorsBefore;
    const lag = lagBetween(lagBefore, await scrapeScheduleLag(url));
    const sweptAfter = await sweepsByBot(sandbox);
    const sweepsDuring = [...sweptAfter].reduce((n, [bot, c]) => n + c - (sweptBefore.get(bot) ?? 0), 0);
    const bot = deliveries(receiver.requests).filter((d) => d.scope === "bot");
    const deliveredDuring = bot.length;
    const second = fillDisk(disk.dir, "second-filler"); // it finds (next to) nothing: the disk was full all along
    const stillFull = second.bytes;
    second.free();
    filler.free();
    const freedAt = Date.now();

    // Space is back: an admin write is taken again, then a clean stop and a restart on the same file.
    let caughtUpMs = Number.NaN;
    while (Date.now() - freedAt < 10_000) {
      if ((await silence(url, botName(BOTS - 3), "made after the space returned")).status === 201) {
        caughtUpMs = Date.now() - freedAt;
        break;
      }
      await sleep(100);
    }
    await sleep(2 * INTERVAL);
    service.child.kill("SIGTERM");
    expect((await service.exited).code, service.output()).toBe(0);

    const file = new DatabaseSync(dbPath, { readOnly: true });
    const { integrity, history } = (() => {
      try {
        const count = (sql: string) => (file.prepare(sql).get(fullAt, freedAt) as { n: number }).n;
        return {
          integrity: (file.prepare("PRAGMA integrity_check").all() as Array<{ integrity_check: string }>).map((r) => r.integrity_check),
          // The outage's history: one health transition, one alert event and one sent attempt per notification.
          history: {
            healthTransitions: count("SELECT count(*) AS n FROM health_transitions WHERE at BETWEEN ? AND ?"),
            alertEvents: count("SELECT count(*) AS n FROM alert_events WHERE at BETWEEN ? AND ?"),
            notificationsSent: count("SELECT count(*) AS n FROM notifications WHERE at BETWEEN ? AND ? AND result = 'sent'"),
          },
        };
      } finally {
        file.close(); // an open file would keep the tmpfs from unmounting
      }
    })();
    const state = readDatabase(dbPath);
    const restarted = await start();
    const listed = (await (await fetch(`${url}/api/v1/silences`, { headers: admin })).json()) as { silences: Array<{ reason: string }> };
    const restartedStatus = (await (await fetch(`${url}/status`)).json()) as { bots: Array<{ name: string; alert?: { state: string } }> };
    restarted.child.kill("SIGTERM");
    expect((await restarted.exited).code, restarted.output()).toBe(0);

    const all = deliveries(receiver.requests).filter((d) => d.scope === "bot");
    const ids = all.map((d) => `${d.key} ${d.kind} ${d.at}`);
    const twice = ids.filter((id, n) => ids.indexOf(id) !== n);
    const expected = Array.from({ length: CYCLES }, (_, c) => cycleBots(c).flatMap((i) => (c < CYCLES - 1 ? [`${botName(i)} firing`, `${botName(i)} resolved`] : [`${botName(i)} firing`]))).flat();
    const lost = expected.filter((e) => !all.some((d) => `${d.key} ${d.kind}` === e));
    Object.assign(figures, {
      outageMs: OUTAGE_MS, fillerBytes: filler.bytes, stillFullBytes: stillFull, sweepsDuring, expectedSweeps: (BOTS * OUTAGE_MS) / INTERVAL,
      lagP99Ms: lagQuantileMs(lag, 0.99), storeErrorsDuring: errorsDuring, ...polls, silenceDuring: during.status, caughtUpMs,
      expectedNotifications: expected.length, deliveredDuring, delivered: all.length, lost: lost.length, twice: twice.length, integrity, history,
    });

    expect(stillFull).toBeLessThan(64 * 1024);
    expect(polls.readyzFailures).toBe(0);
    expect(polls.serveFailures).toBe(0);
    expect(sweepsDuring).toBeGreaterThan(0.9 * ((BOTS * OUTAGE_MS) / INTERVAL));
    expect(errorsDuring).toBeGreaterThan(0);
    expect(during.status).toBe(503);
    expect(caughtUpMs).toBeLessThanOrEqual(2 * INTERVAL);
    expect(lost, "never delivered").toEqual([]);
    expect(twice, "delivered more than once").toEqual([]);
    expect(deliveredDuring, "decided during the outage but not sent during it").toBe(expected.length);
    expect(integrity).toEqual(["ok"]);
    expect(listed.silences.map((s) => s.reason).sort()).toEqual(["acknowledged before the disk filled", "made after the space returned"]);
    // What was decided while the disk was full is in the file: alert states, last results, the history.
    const broken = STILL_BROKEN.map(botName).sort();
    expect(Object.entries(state.alerts).filter(([, a]) => (a as { firing: unknown }).firing !== null).map(([k]) => k).sort()).toEqual(broken);
    const results = state.results as Record<string, { health: string; checkedAt: string }>;
    expect(Object.keys(results).filter((b) => results[b]!.health !== "healthy").sort()).toEqual(broken);
    expect(Object.values(results).every((r) => Date.parse(r.checkedAt) >= freedAt - INTERVAL), "a last result from before the space returned").toBe(true);
    expect(restartedStatus.bots.filter((b) => b.alert?.state === "firing").map((b) => b.name).sort()).toEqual(broken);
    expect(history).toEqual({ healthTransitions: expected.length, alertEvents: expected.length, notificationsSent: expected.length });
  }, 240_000);
});
