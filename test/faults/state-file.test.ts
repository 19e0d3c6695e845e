/**
 * Issue 8, crashes, the state file's edges: what a write cut short leaves behind, and what the admin
 * API promises when the state cannot be written ("every write is on disk before it is answered").
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { kill9OnNextWrite, killAll, leftoverTempFiles, readState, spawnCli, waitReady } from "../support/faults-process.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

const BOTS = 50;
const ADMIN_TOKEN = "state-file-admin-token-77aa";

describe("the state file under crashes and write failures", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(killAll);

  it("when a crash cuts state writes short again and again, then the temporary files do not pile up next to the state file", async () => {
    const sandbox: Sandbox = await startSandbox({ world: healthyWorld(BOTS) });
    cleanup.push(() => sandbox.close());
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-tmpfiles-"));
    const statePath = join(dir, "state.json");
    const configPath = join(dir, "config.yaml");
    const startCli = async () => {
      const port = await freePort();
      writeFileSync(
        configPath,
        JSON.stringify({
          telegram: { apiRoot: sandbox.url, timeout: "2s" },
          schedule: { interval: "500ms" },
          server: { host: "127.0.0.1", port },
          store: { path: statePath },
          bots: fleetBots(BOTS),
        }),
      );
      const proc = spawnCli(["start", "--config", configPath]);
      await waitReady(proc, `http://127.0.0.1:${port}/readyz`, 20_000);
      return proc;
    };

    // Crashes in the middle of a write (the kill fires when the write creates its temporary file),
    // until two of them have left that file behind.
    const left = new Set<string>();
    for (let i = 0; i < 8 && left.size < 2; i++) {
      await kill9OnNextWrite(await startCli(), statePath, 3000);
      for (const f of leftoverTempFiles(statePath)) left.add(f);
    }
    expect(left.size).toBeGreaterThanOrEqual(2);
    // (A crash during the very first write leaves no state file at all: the first start was lost, nothing else.)
    if (existsSync(statePath)) expect(readState(statePath).version).toBe(1);

    // A clean run afterwards: it writes the state many times and stops.
    const proc = await startCli();
    await sleep(2500);
    proc.child.kill("SIGTERM");
    expect((await proc.exited).code, proc.output()).toBe(0);
    expect(readState(statePath).version).toBe(1);
    // The crashed writers' temporary files (each up to the state's size, sealed tokens inside) are still there:
    // one more per crash, for ever.
    expect(leftoverTempFiles(statePath).filter((f) => left.has(f))).toEqual([]);
  }, 60_000);

  it("when the state file cannot be written, then the admin API does not answer 201 for a silence that is not on disk", async () => {
    const sandbox: Sandbox = await startSandbox({ world: healthyWorld(3) });
    cleanup.push(() => sandbox.close());
    const { service, dir } = await startTestService(
      { telegram: { apiRoot: sandbox.url, timeout: "1s" }, schedule: { interval: "1s" }, server: { adminToken: ADMIN_TOKEN }, bots: fleetBots(3) },
      {},
      undefined,
      { secretKey: "state-file-secret-key-0123456789" },
    );
    const statePath = join(dir, "state.json");
    await until("the first state write", () => (existsSync(statePath) ? true : undefined), 5000);

    // Every write fails from now on: the atomic writer's temporary file path is taken by a directory.
    const blocker = join(dir, `.state.json.${process.pid}.tmp`);
    mkdirSync(blocker);
    cleanup.push(async () => {
      rmSync(blocker, { recursive: true, force: true });
      await service.stop();
    });

    const res = await fetch(`${service.url}/api/v1/silences`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ matchers: { name: "bot-0" }, duration: "1h", reason: "disk full" }),
    });
    const answer = (await res.json()) as { id?: string };
    const onDisk = readState(statePath).silences.some((s) => s.id === answer.id);
    // A crash now would lose a silence the caller was told exists.
    expect({ status: res.status, onDisk }).not.toEqual({ status: 201, onDisk: false });
    expect(res.status).toBeGreaterThanOrEqual(500);
  }, 30_000);
});
