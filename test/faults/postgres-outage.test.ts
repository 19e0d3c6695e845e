/**
 * Issue 15's acceptance 4: the PostgreSQL that two replicas share is stopped for 60 s and started again.
 * Meanwhile sweeps go on and /status and /readyz keep answering from memory, the failed writes are
 * counted (secretary_store_errors_total) and retried, and alerts still go out. Afterwards nothing that
 * was acknowledged is lost (a silence answered 201 before the outage), the history shows no gap for the
 * bots (the monitor was running all along), and everything is written within one interval of the
 * server's return. The figures are printed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, startPostgres, type RunningPostgres } from "../support/postgres.ts";
import { botUsername, clearFaults, deliveries, injectFault } from "../support/healthy-fleet.ts";
import { ADMIN_TOKEN, startReplicaFleet, sweepsByBot, type ReplicaFleet } from "../support/replica-fleet.ts";
import { killAll } from "../support/faults-process.ts";
import { sleep } from "../support/service-harness.ts";

const BOTS = 200;
const INTERVAL = 2_000;
const OUTAGE_MS = 60_000;
const name = (i: number) => `bot-${i}`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
const figures: Record<string, unknown> = {};

let server: RunningPostgres;
let fleet: ReplicaFleet;

const storeErrors = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^secretary_store_errors_total\{operation="(\w+)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[2]), 0);
};

describe("the shared PostgreSQL stopped for a minute", () => {
  beforeAll(async () => {
    server = await startPostgres();
    const db = await createDatabase(server.adminUrl);
    fleet = await startReplicaFleet({ databaseUrl: db.url, bots: BOTS, replicas: 2, intervalMs: INTERVAL, shardCount: 6, leaseMs: 3_000 });
  }, 120_000);

  afterAll(async () => {
    console.log(`[postgres-outage] ${JSON.stringify(figures)}`);
    await fleet?.close();
    await killAll();
    await server?.destroy();
  });

  it("when it is down for 60 s, then the replicas keep sweeping and serving, nothing acknowledged is lost, the history has no false gap, and all is written within an interval of its return", async () => {
    const [a, b] = fleet.replicas;
    await sleep(3 * INTERVAL);
    const created = await fetch(`${a!.url}/api/v1/silences`, { method: "POST", headers: admin, body: JSON.stringify({ matchers: { name: "bot-1" }, duration: "2h", reason: "acknowledged before the outage" }) });
    expect(created.status).toBe(201);
    const silence = (await created.json()) as { id: string };
    const broken = [10, 20, 30];
    await Promise.all(broken.map((i) => injectFault(fleet.sandbox, { bot: botUsername(i), methods: ["getBusinessConnection"], patchResult: { is_enabled: false } })));
    const notified = () => deliveries(fleet.receiver.requests).filter((d) => d.scope === "bot");
    for (let t = 0; t < 20 && notified().filter((d) => d.kind === "firing").length < 3; t++) await sleep(500);
    expect(notified().filter((d) => d.kind === "firing").map((d) => d.key).sort()).toEqual(broken.map(name).sort());

    const errorsBefore = await storeErrors(a!.url);
    const sweptBefore = await sweepsByBot(fleet.sandbox);
    const stoppedAt = Date.now();
    await server.stop("fast");
    // Down: sweeps go on, the replicas answer, the bots mend and their resolutions go out.
    await clearFaults(fleet.sandbox);
    let readyFailures = 0;
    let statusFailures = 0;
    let writesRefused = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      for (const r of [a!, b!]) {
        if ((await fetch(`${r.url}/readyz`).then((x) => x.status, () => 0)) !== 200) readyFailures++;
        if (![200, 503].includes(await fetch(`${r.url}/status`).then((x) => x.status, () => 0))) statusFailures++;
      }
      if (writesRefused === 0) {
        const during = await fetch(`${a!.url}/api/v1/silences`, { method: "POST", headers: admin, body: JSON.stringify({ matchers: { name: "bot-2" }, duration: "1h", reason: "during" }) });
        if (during.status >= 500) writesRefused++;
        else throw new Error(`a silence made while the database is down answered ${during.status}: it cannot have been stored`);
      }
      await sleep(1_000);
    }
    const sweptDuring = await sweepsByBot(fleet.sandbox);
    const sweepsDuring = [...sweptDuring].reduce((n, [bot, c]) => n + c - (sweptBefore.get(bot) ?? 0), 0);
    const errorsDuring = (await storeErrors(a!.url)) - errorsBefore;
    const resolvedDuring = notified().filter((d) => d.kind === "resolved").length;
    await server.start();
    const startedAt = Date.now();
    // Back: a write is taken again within an interval, and what was held is written.
    let caughtUpMs = Number.NaN;
    while (Date.now() - startedAt < 10 * INTERVAL) {
      const again = await fetch(`${a!.url}/api/v1/silences`, { method: "POST", headers: admin, body: JSON.stringify({ matchers: { name: "bot-3" }, duration: "1h", reason: "after" }) });
      if (again.status === 201) {
        caughtUpMs = Date.now() - startedAt;
        break;
      }
      await sleep(200);
    }
    await sleep(2 * INTERVAL);
    const listed = (await (await fetch(`${b!.url}/api/v1/silences`, { headers: admin })).json()) as { silences: Array<{ id: string; reason: string }> };
    const from = new Date(stoppedAt - 5_000).toISOString();
    const to = new Date(startedAt + 2 * INTERVAL).toISOString();
    const steady = (await (await fetch(`${b!.url}/status/bots/${name(150)}/history?from=${from}&to=${to}`)).json()) as { uptime: { known: number; up: number }; gaps: unknown[] };
    figures.outage = { outageMs: OUTAGE_MS, sweepsDuring, expectedSweeps: Math.round((BOTS * OUTAGE_MS) / INTERVAL), storeErrorsDuring: errorsDuring, readyFailures, statusFailures, writesRefused, resolvedDuring, caughtUpMs, steadyBotKnown: steady.uptime.known, gaps: steady.gaps.length };

    expect(readyFailures).toBe(0);
    expect(statusFailures).toBe(0);
    expect(sweepsDuring).toBeGreaterThan(0.9 * (BOTS * OUTAGE_MS) / INTERVAL);
    expect(errorsDuring).toBeGreaterThan(0);
    expect(writesRefused).toBe(1);
    expect(caughtUpMs).toBeLessThanOrEqual(INTERVAL + 1_000);
    expect(listed.silences.map((s) => s.id)).toContain(silence.id);
    expect(listed.silences.map((s) => s.reason)).not.toContain("during");
    expect(steady.gaps).toEqual([]);
    expect(steady.uptime.known).toBe(1);
    const count = (bot: string, kind: string) => notified().filter((d) => d.key === bot && d.kind === kind).length;
    expect(broken.map((i) => [count(name(i), "firing"), count(name(i), "resolved")])).toEqual(broken.map(() => [1, 1]));
  }, 240_000);
});
