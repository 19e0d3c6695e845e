/**
 * Issue 8, graceful shutdown: on SIGTERM the service turns /readyz to 503 first, starts no new sweep,
 * lets the sweeps in flight finish (or abandons them at the 10 s deadline), commits the state to its
 * database and exits 0. A hung bot (the sandbox never answers it) keeps a sweep in flight at the signal.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { HUNG_BOT } from "../support/demo-fleet.ts";
import { control, fleetBots, healthyWorld, sandboxCalls } from "../support/healthy-fleet.ts";
import { killAll, spawnCli, waitReady, type Proc } from "../support/faults-process.ts";
import { readDatabase } from "../support/database-reader.ts";
import { sleep, until } from "../support/service-harness.ts";

const BOTS = 20;
/** service.stop()'s default deadline for sweeps in flight. */
const DEADLINE_MS = 10_000;

const hungCalls = async (sandbox: Sandbox) =>
  ((await control(sandbox.url, "GET", "/calls")) as Array<{ bot: string | null; method: string; count: number }>)
    .filter((c) => c.bot === HUNG_BOT.username)
    .reduce((s, c) => s + c.count, 0);

interface Shutdown {
  signalAt: number;
  exitedAt: number;
  exitedAfterMs: number;
  code: number | null;
  /** /readyz answers seen from the signal until the port closed, with ms since the signal. */
  readyz: Array<{ status: number; afterMs: number }>;
  /** Each bot's newest check time as /status served it just after the signal. */
  served: Record<string, string>;
}

/** Sends SIGTERM and watches /readyz (every 10 ms) and /status until the process is gone. */
async function terminate(proc: Proc, url: string): Promise<Shutdown> {
  const signalAt = Date.now();
  proc.child.kill("SIGTERM");
  const readyz: Shutdown["readyz"] = [];
  let served: Record<string, string> = {};
  let exited = false;
  const exit = proc.exited.then((r) => {
    exited = true;
    return r;
  });
  for (let first = true; !exited && Date.now() - signalAt < DEADLINE_MS + 5000; first = false) {
    const status = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 0) readyz.push({ status, afterMs: Date.now() - signalAt });
    if (first && status !== 0) {
      const view = (await (await fetch(`${url}/status`)).json()) as { bots: Array<{ name: string; checks: Array<{ at: string }> }> };
      served = Object.fromEntries(view.bots.filter((b) => b.checks.length > 0).map((b) => [b.name, b.checks.map((c) => c.at).sort().at(-1)!]));
    }
    await sleep(10);
  }
  const { code } = await exit;
  const exitedAt = Date.now();
  return { signalAt, exitedAt, exitedAfterMs: exitedAt - signalAt, code, readyz, served };
}

/**
 * /readyz said 503 before the process went away, and never 200 again after its first 503. A 200 is
 * tolerated only in the first 50 ms, before the process can have handled the signal.
 */
function expectReadyzTurned503(shutdown: Shutdown): void {
  const all = shutdown.readyz.map((r) => `${r.status}@${r.afterMs}ms`);
  const seen = all.length > 12 ? [...all.slice(0, 6), `… ${all.length - 12} more …`, ...all.slice(-6)].join(", ") : all.join(", ");
  const first503 = shutdown.readyz.findIndex((r) => r.status === 503);
  expect(first503, `readyz after SIGTERM: ${seen}`).toBeGreaterThanOrEqual(0);
  expect(shutdown.readyz.slice(first503).every((r) => r.status === 503), `readyz after SIGTERM: ${seen}`).toBe(true);
  expect(shutdown.readyz.slice(0, first503).every((r) => r.afterMs < 50), `readyz after SIGTERM: ${seen}`).toBe(true);
}

function report(what: string, shutdown: Shutdown, detail: string): void {
  const first503 = shutdown.readyz.find((r) => r.status === 503);
  console.log(`[sigterm] ${what}: /readyz 503 ${first503?.afterMs ?? "never"} ms after SIGTERM, exit code ${shutdown.code} after ${shutdown.exitedAfterMs} ms; ${detail}`);
}

describe("SIGTERM", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ world: healthyWorld(BOTS) });
    await control(sandbox.url, "POST", "/bots", HUNG_BOT);
    await control(sandbox.url, "POST", "/faults", { bot: HUNG_BOT.username, hang: true });
  });
  afterAll(async () => {
    await killAll();
    await sandbox?.close();
  });

  async function start(timeout: string) {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-sigterm-"));
    const dbPath = join(dir, "secretary-watch.db");
    const configPath = join(dir, "config.yaml");
    const port = await freePort();
    const config = {
      telegram: { apiRoot: sandbox.url, timeout },
      schedule: { interval: "1s", concurrency: 32 },
      server: { host: "127.0.0.1", port },
      store: { path: dbPath },
      bots: [...fleetBots(BOTS), { name: "hung", token: HUNG_BOT.token, username: HUNG_BOT.username, owner: { id: 100000042 } }],
    };
    writeFileSync(configPath, JSON.stringify(config));
    const proc = spawnCli(["start", "--config", configPath]);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/readyz`, 20_000);
    return { proc, url, dbPath };
  }

  it("when SIGTERM arrives while a sweep waits on a hung bot, then /readyz turns 503 first, no new sweep starts, the sweep finishes, its result is flushed and the process exits 0", async () => {
    const { proc, url, dbPath } = await start("3s");
    // A finished sweep of the hung bot, then the start of the next one: that one is in flight now.
    await until("a result for the hung bot", async () => {
      const r = await fetch(`${url}/status/bots/hung`);
      return ((await r.json()) as { checks?: unknown[] }).checks?.length ? true : undefined;
    }, 10_000);
    const before = await hungCalls(sandbox);
    await until("the hung bot's next sweep", async () => ((await hungCalls(sandbox)) > before ? true : undefined), 5000);

    const callsAtSignal = await sandboxCalls(sandbox.url);
    const shutdown = await terminate(proc, url);

    expect(shutdown.code, proc.output()).toBe(0);
    expect(shutdown.exitedAfterMs).toBeLessThan(DEADLINE_MS + 2000);
    expectReadyzTurned503(shutdown);
    // Sweeps running at the signal may finish their calls (a healthy one takes milliseconds); none starts.
    expect((await sandboxCalls(sandbox.url)) - callsAtSignal).toBeLessThanOrEqual(2 * 5);

    const state = readDatabase(dbPath);
    // The sweep in flight finished after the signal (its 3 s timeout), and its result is on disk.
    expect(Date.parse(state.results.hung!.checkedAt)).toBeGreaterThan(shutdown.signalAt);
    expect(state.results.hung!.health).toBe("unknown");
    // … and the state was written at once, not by the next flush window: the exit follows the sweep promptly.
    const exitAfterSweepMs = shutdown.exitedAt - Date.parse(state.results.hung!.checkedAt);
    report("sweep finished", shutdown, `exit ${exitAfterSweepMs} ms after the in-flight sweep ended`);
    expect(exitAfterSweepMs).toBeLessThan(700);
    // Everything /status served after the signal is on disk too: no result waited for a flush that never came.
    for (const [name, at] of Object.entries(shutdown.served)) expect(state.results[name]!.checkedAt >= at, name).toBe(true);
    expect(Object.keys(shutdown.served)).toHaveLength(BOTS + 1);
  }, 40_000);

  it("when SIGTERM arrives while a sweep can outlive the deadline, then the sweep is abandoned at the deadline, the state is flushed and the process exits 0", async () => {
    const { proc, url, dbPath } = await start("60s");
    const before = await hungCalls(sandbox);
    await until("the hung bot's sweep", async () => ((await hungCalls(sandbox)) > before ? true : undefined), 5000);
    await until("the healthy bots swept", async () => {
      const view = (await (await fetch(`${url}/status`)).json()) as { bots: Array<{ health: string }> };
      return view.bots.filter((b) => b.health === "healthy").length === BOTS ? true : undefined;
    }, 10_000);

    const shutdown = await terminate(proc, url);

    expect(shutdown.code, proc.output()).toBe(0);
    expect(shutdown.exitedAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 500);
    expect(shutdown.exitedAfterMs).toBeLessThan(DEADLINE_MS + 3000);
    expectReadyzTurned503(shutdown);
    expect(proc.output()).toMatch(/stopped with sweeps still running/);

    const state = readDatabase(dbPath);
    report("sweep abandoned", shutdown, "the hung sweep abandoned at the deadline");
    for (const [name, at] of Object.entries(shutdown.served)) expect(state.results[name]!.checkedAt >= at, name).toBe(true);
    expect(Object.keys(shutdown.served)).toHaveLength(BOTS);
  }, 40_000);
});
