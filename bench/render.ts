/**
 * `node bench/render.ts [bots]`: the /metrics exposition of a fleet rendered alone, without sweeps or
 * Bot API traffic around it: what one scrape costs in CPU. (`npm run bench` measures it inside the busy
 * monitor, where the render shares the event loop with the sweeps.)
 */
import { CHECKS } from "../checks/index.ts";
import { Metrics } from "../src/metrics/metrics.ts";
import type { BotStatus } from "../src/model.ts";
import { DEFAULT_REQUIRED_RIGHTS } from "../src/telegram/rights.ts";

const n = Number(process.argv[2] ?? 10_000);
const RUNS = 15;
const now = Date.now();
/**
 * As a running fleet's results are: every bot swept at its own time over the last minute, and a sweep's
 * checks a few milliseconds apart (each result's time is its own string, as parsed from the store).
 */
const statuses: BotStatus[] = Array.from({ length: n }, (_, i) => {
  const sweptAt = now - ((i * 6007) % 60_000);
  const at = new Date(sweptAt).toISOString();
  return {
    name: `creator-${i}`,
    username: `creator_${i}_secretary_bot`,
    health: "healthy",
    since: at,
    checkedAt: at,
    checks: CHECKS.map((c, k) => ({ check: c.id, status: "ok", durationMs: 3, at: new Date(sweptAt + 3 * k).toISOString(), since: at })),
    observed: { connectionEnabled: true, rights: Object.fromEntries(DEFAULT_REQUIRED_RIGHTS.map((r) => [r, true])), webhookPendingUpdates: 0, webhookLastErrorAt: 1.7e9 },
  };
});
/** A few bots' alerts fire, looked up per bot as the engine's state is. */
const firing = new Set(statuses.slice(0, 20).map((s) => s.name));
const metrics = new Metrics("bench", { checks: CHECKS }).attach({
  bots: () => statuses,
  statuses: () => statuses,
  alertsFiring: () => ({ degraded: 0, down: 20 }),
  alertFiring: (name) => firing.has(name),
  outboxSize: () => 0,
});

const times: number[] = [];
let bytes = 0;
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  bytes = 0;
  for await (const chunk of metrics.registry.stream()) bytes += chunk.length;
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(
  `/metrics of ${n.toLocaleString("en")} bots rendered alone: median ${ms(times[RUNS >> 1]!)}, min ${ms(times[0]!)}, max ${ms(times[RUNS - 1]!)} ` +
    `over ${RUNS} renders; ${(bytes / 2 ** 20).toFixed(1)} MB; RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`,
);
