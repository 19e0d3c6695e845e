/**
 * What the store writes while nothing changes (issue 14, acceptance 1 and 2), for each engine: a fleet's
 * results are stored, then for a minute sweeps come at the real rate (bots/60 a second, in steps of
 * 100 ms) with the same verdicts and new sweep times, from a start on the filled store. Bytes written
 * are the process's own `/proc/self/io` (`write_bytes`: what it sent to the disk) over that minute,
 * the batched writes at close included. Then, while sweeps go on, 100 admin writes (a connection id),
 * one every 50 ms (at most 15 s of them), each timed until its promise resolves (acknowledged on disk). Usage: `npx node bench/store-writes.ts [seconds] [bots...]` (default 60 s,
 * 1,000 and 10,000 bots); the store lives in a directory under bench/ (on disk, not a tmpfs).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openLowdbStore, openSqliteStore } from "../src/store/open-store.ts";
import type { StateRepositories } from "../src/store/repositories.ts";
import type { WatchState } from "../src/watch-state.ts";

const seconds = Number(process.argv[2] ?? 60);
const fleets = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1_000, 10_000];
const STEP_MS = 100;
const ADMIN_EVERY_MS = 50;
const ADMIN_WRITES = 100;
/** lowdb acknowledges after its flush window (about 1 s): its sample is what fits in this. */
const ADMIN_BUDGET_MS = 15_000;

type Store = StateRepositories<WatchState>;
const ENGINES: Record<string, (dir: string) => Promise<Store>> = {
  lowdb: (dir) => openLowdbStore<WatchState>({ path: join(dir, "state.json") }),
  sqlite: (dir) => openSqliteStore<WatchState>({ path: join(dir, "secretary-watch.db") }),
};

function writeBytes(): number {
  const line = readFileSync("/proc/self/io", "utf8").split("\n").find((l) => l.startsWith("write_bytes:"));
  return Number(line!.split(":")[1]);
}

/** A bot's last sweep as the monitor stores it: five checks, all well. */
function sweep(name: string, at: string): WatchState["results"] {
  const since = "2026-11-24T12:00:00.000Z";
  const checks = ["token", "business", "connection", "rights", "latency"].map((check) => ({ check, status: "ok", message: `${check} is fine`, durationMs: 41.7, latencyMs: 40, at, since }));
  return { name, username: `${name}_bot`, health: "healthy", since, checkedAt: at, checks, observed: { connectionEnabled: true, rights: { can_reply: true } } } as unknown as WatchState["results"];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sweeps `names` at the real rate, the same verdicts with new times, until `stop()` says so. */
async function sweeps(store: Store, names: string[], stop: () => boolean) {
  const perStep = Math.ceil((names.length / 60) * (STEP_MS / 1000));
  let next = 0;
  while (!stop()) {
    const at = new Date().toISOString();
    for (let i = 0; i < perStep; i++, next = (next + 1) % names.length) void store.results.put(names[next]!, sweep(names[next]!, at));
    await sleep(STEP_MS);
  }
}

async function run(engine: string, bots: number) {
  const dir = mkdtempSync(join(import.meta.dirname, ".store-writes-"));
  try {
    const names = Array.from({ length: bots }, (_, i) => `bot-${i}`);
    const filling = await ENGINES[engine]!(dir);
    await Promise.all(names.map((n) => filling.results.put(n, sweep(n, new Date().toISOString()))));
    await filling.close();
    // Measured from a start on the filled store, as the service runs: nothing pending from the fill.
    const store = await ENGINES[engine]!(dir);
    const before = writeBytes();
    const end = performance.now() + seconds * 1000;
    await sweeps(store, names, () => performance.now() >= end);
    await store.close();
    const written = writeBytes() - before;

    // Admin writes while sweeps go on: each timed until acknowledged.
    const timed = await ENGINES[engine]!(dir);
    let done = false;
    const background = sweeps(timed, names, () => done);
    const latencies: number[] = [];
    const adminEnd = performance.now() + ADMIN_BUDGET_MS;
    for (let i = 0; i < ADMIN_WRITES && performance.now() < adminEnd; i++) {
      const started = performance.now();
      await timed.connections.put(`admin-${i % 10}`, `bc-${i}`);
      latencies.push(performance.now() - started);
      await sleep(Math.max(0, ADMIN_EVERY_MS - (performance.now() - started)));
    }
    done = true;
    await background;
    await timed.close();
    latencies.sort((a, b) => a - b);
    console.log(
      `${engine.padEnd(6)} ${String(bots).padStart(6)} bots: ${(written / 2 ** 20).toFixed(3)} MB written in ${seconds} s of unchanged sweeps (close included); ` +
        `admin write acknowledged p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms (${latencies.length} writes)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const bots of fleets) for (const engine of Object.keys(ENGINES)) await run(engine, bots);
