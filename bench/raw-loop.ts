/**
 * The yardsticks: the same Bot API requests the monitor sends, at the same pace and concurrency,
 * from a bare loop with nothing around it: no grammY, no checks, no metrics, no state. Two clients:
 * `http`, `node:http` with a keep-alive agent and `JSON.parse` (the floor: what a request costs a Node
 * process at the least, shared/reference/client-cost.md), and `fetch`, the platform's fetch
 * (keep-alive by default). Each bot is dispatched at the same point of the interval the scheduler
 * gives it; at most `concurrency` bots are in flight; a bot's requests go in the sweep's stages.
 * Reports the CPU time it spent per request over a measured window.
 */
import { nameHash } from "../src/runner/scheduler.ts";
import { floorRequest } from "./floor-client.ts";
import { fleet, sweepStages, type PlannedRequest } from "./fleet.ts";

export interface RawLoopResult {
  requests: number;
  failed: number;
  seconds: number;
  cpuMs: number;
  /** Of cpuMs, in the kernel (system time). */
  systemCpuMs: number;
  /** Of cpuMs, on the main thread. */
  mainThreadCpuMs: number;
}

export type LoopClient = "http" | "fetch";

const [url, clientArg, nArg, intervalArg, concurrencyArg, warmupArg, windowArg] = process.argv.slice(2);
const client = clientArg as LoopClient;
const n = Number(nArg);
const intervalMs = Number(intervalArg);
const concurrency = Number(concurrencyArg);
const warmupMs = Number(warmupArg);
const windowMs = Number(windowArg);

const bots = fleet(n)
  .map((b) => ({ base: `${url}/bot${b.token}/`, stages: sweepStages(b), offset: Math.floor((nameHash(b.name) / 2 ** 32) * intervalMs) }))
  .sort((a, b) => a.offset - b.offset);

let requests = 0;
let failed = 0;
let running = 0;
const waiting: (typeof bots)[number][] = [];

async function sendFetch(url: string, body: string): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return res.json();
}

const sendOne = client === "http" ? floorRequest : sendFetch;

async function send(base: string, r: PlannedRequest): Promise<void> {
  try {
    await sendOne(base + r.method, JSON.stringify(r.payload));
  } catch {
    failed++;
  }
  requests++;
}

async function sweep(bot: (typeof bots)[number]): Promise<void> {
  for (const stage of bot.stages) await Promise.all(stage.map((r) => send(bot.base, r)));
}

function drain(): void {
  while (running < concurrency && waiting.length > 0) {
    const bot = waiting.shift()!;
    running++;
    void sweep(bot).finally(() => {
      running--;
      drain();
    });
  }
}

// Slots as the scheduler computes them: interval start (wall clock) + the bot's offset.
const epoch = Math.floor(Date.now() / intervalMs) * intervalMs;
let round = 0;
let next = bots.findIndex((b) => epoch + b.offset >= Date.now());
if (next < 0) {
  next = 0;
  round = 1;
}
let stopped = false;
function tick(): void {
  if (stopped) return;
  const now = Date.now();
  for (;;) {
    const bot = bots[next]!;
    if (epoch + round * intervalMs + bot.offset > now) break;
    waiting.push(bot);
    if (++next === bots.length) {
      next = 0;
      round++;
    }
  }
  drain();
  const due = epoch + round * intervalMs + bots[next]!.offset;
  setTimeout(tick, Math.max(0, due - Date.now()));
}
tick();

await new Promise((r) => setTimeout(r, warmupMs));
const cpu0 = process.cpuUsage();
const thread0 = process.threadCpuUsage();
const req0 = requests;
const failed0 = failed;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, windowMs));
const cpu = process.cpuUsage(cpu0);
const thread = process.threadCpuUsage(thread0);
const result: RawLoopResult = {
  requests: requests - req0,
  failed: failed - failed0,
  seconds: (performance.now() - t0) / 1000,
  cpuMs: (cpu.user + cpu.system) / 1000,
  systemCpuMs: cpu.system / 1000,
  mainThreadCpuMs: (thread.user + thread.system) / 1000,
};
stopped = true;
process.send!({ result }, () => process.exit(0));
