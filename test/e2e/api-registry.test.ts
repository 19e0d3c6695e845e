import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { storedState, tokensStored } from "../support/stored-state.ts";
import { testEngine } from "../support/test-store.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

const ADMIN = "admin-token-registry-5e6f";
const KEY = "registry-passphrase-7a8b";
const N = 1000;
// 8 s: 1,000 bots at 125 sweeps a second, which a loaded 2-core machine keeps up with (4 s did not, always).
const INTERVAL_MS = 8000;
const token = (i: number) => `${8000000 + i}:api-bot-secret-${i}-Zq`;

describe("1,000 bots registered through the admin API", () => {
  let sandbox: Sandbox;
  let dir: string;
  const config = () => ({
    telegram: { apiRoot: sandbox.url, timeout: "1s" },
    server: { adminToken: ADMIN },
    schedule: { interval: `${INTERVAL_MS / 1000}s`, concurrency: 32 },
    checks: { webhook: { mode: "any" } },
  });

  beforeAll(async () => {
    // Each bot is a real bot of the stand-in, without Business Mode: a quick sweep of two requests.
    const bots = Array.from({ length: N }, (_, i) => ({ token: token(i), username: `api_${i}_bot`, firstName: `API ${i}`, canConnectToBusiness: false, webhook: { url: "" } }));
    sandbox = await startSandbox({ world: parseWorld({ bots }) });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it("when they are registered and the service restarts, then all come back, the database holds no token, and sweeps resume spread over the interval", async () => {
    const first = await startTestService(config(), {}, undefined, { secretKey: KEY });
    dir = first.dir;
    const post = (i: number) =>
      fetch(`${first.service.url}/api/v1/bots`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `api-${i}`, token: token(i), username: `api_${i}_bot`, owner: { id: 100 + i } }),
      }).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < N; i += 50) statuses.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => post(i + j)))));
    expect(statuses.every((s) => s === 201)).toBe(true);
    await until("every bot's first sweep", () => (first.service.monitor.size === N && [...first.service.monitor.statuses()].length === N ? true : undefined), 20_000);
    await first.service.stop();
    const stoppedAt = Date.now();

    expect(Object.keys((await storedState(dir)).bots)).toHaveLength(N);
    // No token at rest, in the database or its write-ahead log: the part every token shares, in each form that
    // keeps a substring, finds any of them; every 25th token is searched whole, in every form (base64 too).
    expect(await tokensStored(dir, ["api-bot-secret-"])).toEqual([]);
    expect(await tokensStored(dir, Array.from({ length: N / 25 }, (_, k) => token(k * 25)))).toEqual([]);
    expect(await tokensStored(dir, ["api_7_bot"]), "the search sees what is stored in plain text").not.toEqual([]);

    const second = await startTestService(config(), {}, dir, { secretKey: KEY });
    try {
      expect(second.service.monitor.size).toBe(N);
      expect([...second.service.fleet.list()].every((b) => b.source === "api")).toBe(true);
      // Each bot keeps its slot: half an interval after the restart, about half the fleet has been swept.
      // On PostgreSQL a start takes each bot over from its last sweep (as a replica takes a shard over): a
      // bot whose slot passed while no process ran is swept at once, so that share of the fleet comes on top.
      const caughtUp = testEngine() === "postgres" ? (Date.now() - stoppedAt) / INTERVAL_MS : 0;
      await sleep(INTERVAL_MS / 2);
      const started = second.service.scheduler.stats.started;
      expect(started).toBeGreaterThan(N * 0.3);
      expect(started).toBeLessThan(N * (0.7 + caughtUp));
      await until("a full round", () => (second.service.scheduler.stats.started >= N ? true : undefined), INTERVAL_MS + 2000);
      expect(second.service.monitor.status("api-7")!.checks.find((c) => c.check === "business-mode")!.status).toBe("fail");
    } finally {
      await second.service.stop();
    }
  }, 60_000);

  it("when the service restarts with the wrong secret key, then it refuses to start and says why", async () => {
    await expect(startTestService(config(), {}, dir, { secretKey: "another-key-entirely" })).rejects.toThrow(/does not decrypt with store.secretKey/);
    await expect(startTestService(config(), {}, dir, {})).rejects.toThrow(/store.secretKey is not set/);
  });
});
