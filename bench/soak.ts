/**
 * `npm run soak`: the monitor at fleet scale for a long time, with a fault every few minutes
 * (bench/soak-run.ts). Prints a row every minute while it runs, then writes bench/SOAK.md: the rows
 * over time, the faults, and the slopes of RSS, heap and store size after the warm-up.
 *
 *   npm run soak                              10,000 bots, 60 s interval, concurrency 64, 1 hour, a fault every 5 min
 *   npm run soak -- --minutes=15 --engine=postgres    PostgreSQL (a fresh cluster on loopback), its restart in the rotation
 *   npm run soak -- --bots=1000 --interval=5 --minutes=2 --fault-every=15 --hold=5 --warm-up=0.5 --sample=5
 *   … --out=PATH                              where the Markdown goes (default bench/SOAK.md; "-" for none)
 *   npm run soak -- --report=PATH.json        the Markdown again from a run's raw rows (their path is printed at the end)
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { faultsTable, rowsTable, summarize, summaryTable } from "./soak-report.ts";
import { DEPLOY_NODE_OPTIONS, LATENCY_MS, runSoak, type SoakOptions, type SoakResult } from "./soak-run.ts";

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const value = a ? Number(a.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const engine = process.argv.includes("--engine=postgres") ? "postgres" : "sqlite";
const intervalS = arg("interval", 60);
const options: SoakOptions = {
  bots: arg("bots", 10_000),
  intervalMs: intervalS * 1000,
  concurrency: arg("concurrency", 64),
  durationMs: arg("minutes", 60) * 60_000,
  faultPeriodMs: arg("fault-every", 300) * 1000,
  // Two intervals: long enough for the "cannot reach Telegram" alert (two evaluations of an unknown majority).
  faultHoldMs: arg("hold", 2 * intervalS) * 1000,
  retryAfterS: arg("retry-after", 5),
  sampleMs: arg("sample", 10) * 1000,
  warmUpMs: arg("warm-up", 10) * 60_000,
  engine,
  timeoutMs: arg("timeout", 10) * 1000,
  nodeOptions: DEPLOY_NODE_OPTIONS,
};
const out = process.argv.find((x) => x.startsWith("--out="))?.slice(6) ?? fileURLToPath(new URL("SOAK.md", import.meta.url));

const log = (text: string) => process.stderr.write(`[soak] ${text}\n`);
const everyRows = (o: SoakOptions) => Math.max(1, Math.round(60_000 / o.sampleMs));

/** bench/SOAK.md's text: the run's conditions, the summary, the faults, one row a minute. */
function markdown(result: SoakResult, startedAt: Date): string {
  const o = result.options;
  const loads = result.rows.map((r) => r.load).sort((a, b) => a - b);
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  const header = [
    `secretary-watch soak, ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round((result.rows.at(-1)?.at ?? 0) / 60)} min`,
    `machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}; load average (1 min) over the run: median ${(loads[loads.length >> 1] ?? NaN).toFixed(1)}, max ${(loads.at(-1) ?? NaN).toFixed(1)} (the machine is shared: other work inflates lag and delay)`,
    `fleet: ${o.bots.toLocaleString("en-US")} bots (80 % healthy), interval ${o.intervalMs / 1000} s, concurrency ${o.concurrency}, telegram.timeout ${o.timeoutMs / 1000} s; store ${o.engine}`,
    `stand-in: the sandbox in its own process, ${LATENCY_MS} ms per answer; monitor: startService in its own process with ${o.nodeOptions.join(" ")}; no forced GC; /metrics scraped every row`,
    `faults: one every ${o.faultPeriodMs / 1000} s, held ${o.faultHoldMs / 1000} s; a row is outside faults when none is held in it, settled when no recovery (an interval plus retry_after ${o.retryAfterS} s) overlaps it either`,
    `slopes: least squares over the rows after the first ${o.warmUpMs / 60_000} min, per 10 minutes; a row every ${o.sampleMs / 1000} s (the table shows one a minute and each fault's first)`,
  ];
  const s = summarize(result);
  return `# Soak (last run of \`npm run soak\`)\n\n${header.join("  \n")}\n\n${summaryTable(result, s)}\n\n${faultsTable(result)}\n\n${rowsTable(result.rows, everyRows(o))}\n`;
}

// --report=PATH.json: bench/SOAK.md again from a run's raw rows (held faults filled in for older files).
const report = process.argv.find((x) => x.startsWith("--report="))?.slice(9);
if (report) {
  const result = JSON.parse(readFileSync(report, "utf8")) as SoakResult;
  const o = result.options;
  for (const row of result.rows) row.held ??= [...new Set(result.faults.filter((f) => f.from < row.at * 1000 && f.to > row.at * 1000 - o.sampleMs).map((f) => f.kind))];
  const text = markdown(result, new Date(statSync(report).mtimeMs - o.durationMs));
  process.stdout.write(text);
  if (out !== "-") writeFileSync(out, text);
  process.exit(0);
}

const startedAt = new Date();
log(`${options.bots} bots, interval ${intervalS} s, ${options.durationMs / 60_000} min, a fault every ${options.faultPeriodMs / 1000} s held ${options.faultHoldMs / 1000} s, ${engine}`);
let seen = 0;
const result = await runSoak(options, (row) => {
  if (++seen % everyRows(options) !== 0) return;
  const mb = (x: number) => x.toFixed(0);
  log(
    `${(row.at / 60).toFixed(1)} min: rss ${mb(row.rssMb)} MB, heap ${mb(row.heapUsedMb)} (${mb(row.heapFloorMb)}) MB, eld p99 ${row.eventLoopDelayP99Ms.toFixed(1)} ms, lag p99 ${row.lagP99Ms.toFixed(0)} ms, ` +
      `sweeps ${row.sweepsStarted}/${row.sweepsDue.toFixed(0)}, oldest ${row.oldestResultSeconds.toFixed(1)} s, store ${((row.storeBytes ?? NaN) / 2 ** 20).toFixed(1)} MB, ` +
      `notifications ${row.notifications}${row.faults.length ? `, fault: ${row.faults.join(", ")}` : ""}, load ${row.load.toFixed(1)}`,
  );
});
const text = markdown(result, startedAt);
process.stdout.write(`\n${text}`);
if (out !== "-") writeFileSync(out, text);
// The raw rows, for another look without another hour (--report).
const raw = join(os.tmpdir(), `soak-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(raw, `${JSON.stringify(result)}\n`);
log(`raw rows: ${raw}`);
process.exit(result.monitorExit === 0 ? 0 : 1);
