/**
 * What the store writes while nothing changes (issue 14, acceptance 1 and 2), for each engine: a fleet's
 * results are stored, then for a minute sweeps come at the real rate (bots/60 a second, in steps of
 * 100 ms) with the same verdicts and new sweep times, from a start on the filled store. Bytes written
 * are the process's own `/proc/self/io` (`write_bytes`: what it sent to the disk) over that minute,
 * the batched writes at close included. Then, while sweeps go on, 100 admin writes (a connection id),
 * one every 50 ms (at most 15 s of them), each timed until its promise resolves (acknowledged on disk),
 * and the store's files' size at the end. Usage: `npx node bench/store-writes.ts [seconds] [bots...]
 * [--engine=sqlite|lowdb] [--admin-writes=100] [--busy=0.05]` (default 60 s, 1,000 and 10,000 bots, both engines;
 * `--busy`: that share of the bots has a backlog of updates that rises and falls from sweep to sweep, kept
 * by the webhook check's own rule in what the result remembers); the store lives in a
 * directory under bench/ (on disk, not a tmpfs). Forked by bench/run.ts, it also sends each line's
 * figures to its parent (`{ storeWrites: StoreWritesResult }`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openLowdbStore, openSqliteStore } from "../src/store/open-store.ts";
import type { StateRepositories } from "../src/store/repositories.ts";
import type { WatchState } from "../src/watch-state.ts";
import { nextBacklog } from "../checks/webhook-backlog.ts";
import type { Backlog } from "../src/check-model.ts";
import { sweepResult } from "./sweep-result.ts";

export interface StoreWritesResult {
  engine: string;
  bots: number;
  seconds: number;
  /** /proc/self/io write_bytes over the unchanged sweeps, close included. */
  bytesWritten: number;
  /** The store's files (database, -wal, -shm; or the state file) at the end. */
  fileBytes: number;
  adminP50Ms: number;
  adminP99Ms: number;
  adminWrites: number;
}

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const engineArg = process.argv.find((a) => a.startsWith("--engine="))?.slice("--engine=".length);
const seconds = Number(args[0] ?? 60);
const fleets = args.length > 1 ? args.slice(1).map(Number) : [1_000, 10_000];
const STEP_MS = 100;
const ADMIN_EVERY_MS = 50;
const ADMIN_WRITES = Number(process.argv.find((a) => a.startsWith("--admin-writes="))?.slice("--admin-writes=".length) ?? 100);
const BUSY = Number(process.argv.find((a) => a.startsWith("--busy="))?.slice("--busy=".length) ?? 0);
if (!(BUSY >= 0 && BUSY <= 1)) throw new Error(`--busy=${BUSY}: expected a share of the bots from 0 to 1`);
/** Each busy bot's backlog as its last sweep left it; counts cycle 1, 3, 2, 4, 0 (a busy bot's traffic). */
const backlogs = new Map<string, { sweeps: number; backlog: Backlog | undefined }>();
const CYCLE = [1, 3, 2, 4, 0];

/** A sweep of `name` at `at`: unchanged verdicts; a busy bot (every 1/BUSY-th) also remembers its backlog. */
function sweep(name: string, at: string): WatchState["results"] {
  const result = sweepResult(name, at);
  const index = Number(name.slice(name.lastIndexOf("-") + 1));
  if (BUSY === 0 || index % Math.round(1 / BUSY) !== 0) return result;
  const state = backlogs.get(name) ?? { sweeps: 0, backlog: undefined };
  state.backlog = nextBacklog(state.backlog, CYCLE[state.sweeps++ % CYCLE.length]!, new Date(at));
  backlogs.set(name, state);
  const r = result as unknown as { observed: Record<string, unknown> };
  if (state.backlog) r.observed = { ...r.observed, remembered: { webhookBacklog: state.backlog } };
  return result;
}

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
    const fileBytes = readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    latencies.sort((a, b) => a - b);
    const result: StoreWritesResult = { engine, bots, seconds, bytesWritten: written, fileBytes, adminP50Ms: percentile(latencies, 50), adminP99Ms: percentile(latencies, 99), adminWrites: latencies.length };
    process.send?.({ storeWrites: result });
    console.log(
      `${engine.padEnd(6)} ${String(bots).padStart(6)} bots${BUSY > 0 ? ` (${Math.round(BUSY * 100)} % busy)` : ""}: ${(written / 2 ** 20).toFixed(3)} MB written in ${seconds} s of unchanged sweeps (close included); ` +
        `admin write acknowledged p50 ${result.adminP50Ms.toFixed(2)} ms, p99 ${result.adminP99Ms.toFixed(2)} ms (${latencies.length} writes); files ${(fileBytes / 2 ** 20).toFixed(1)} MB`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (engineArg !== undefined && !(engineArg in ENGINES)) throw new Error(`--engine=${engineArg}: unknown engine (${Object.keys(ENGINES).join(" or ")})`);
for (const bots of fleets) for (const engine of engineArg ? [engineArg] : Object.keys(ENGINES)) await run(engine, bots);
process.disconnect?.();
