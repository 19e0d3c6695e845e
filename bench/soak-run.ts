/**
 * One soak (`npm run soak`, and its short form in test/bench/soak.test.ts): the stand-in (bench/stand-in.ts)
 * and the monitor (bench/soak-monitor.ts, with the deploy's V8 flags) in processes of their own, a
 * webhook receiver for the alerts in this one, a fault every period (bench/soak-faults.ts), and every
 * `sampleMs` one row: the monitor's own view of itself, the schedule lag from its /metrics (as a
 * scraper reads it; the scrape is the load Prometheus adds), the store's size, notifications received.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createDatabase, startPostgres, type RunningPostgres } from "../test/support/postgres.ts";
import { lagBetween, lagQuantileMs, scrapeScheduleLag, type LagHistogram } from "../test/support/schedule-lag.ts";
import { rotation, runFault, type FaultWindow } from "./soak-faults.ts";
import type { SoakMonitorOptions, SoakSample } from "./soak-monitor.ts";
import type { StandInStats } from "./stand-in.ts";
import { nextMessage } from "./ipc.ts";

export interface SoakOptions {
  bots: number;
  intervalMs: number;
  concurrency: number;
  durationMs: number;
  /** A fault starts every period (the first one period in); each lasts holdMs. */
  faultPeriodMs: number;
  faultHoldMs: number;
  retryAfterS: number;
  sampleMs: number;
  /** Samples before this are left out of the slopes. */
  warmUpMs: number;
  engine: "sqlite" | "postgres";
  timeoutMs: number;
  monitorEvaluationMs?: number;
  /** What deploy/kubernetes sets in NODE_OPTIONS (bench/run.ts' RECOMMENDED_NODE_OPTIONS). */
  nodeOptions: string[];
}

export interface SoakRow extends SoakSample {
  /** s since the soak's start. */
  at: number;
  sweepsStarted: number;
  sweepsDue: number;
  lagP99Ms: number;
  /** The window's schedule lag histogram (for quantiles over many rows). */
  lag: LagHistogram;
  /** The faults held during this row's window. */
  held: string[];
  /** The faults that overlapped this row's window, or their recovery (one interval plus retry_after). */
  faults: string[];
  notifications: number;
  standInRssMb: number;
  load: number;
}

export interface SoakResult {
  options: SoakOptions;
  rows: SoakRow[];
  faults: FaultWindow[];
  /** Notifications the receiver got, by `scope kind` (e.g. "monitor firing"). */
  notifications: Record<string, number>;
  /** Lag over the whole soak, start and faults included. */
  lagP99Ms: number;
  monitorExit: number | null;
}

export const DEPLOY_NODE_OPTIONS = ["--max-semi-space-size=16", "--max-old-space-size=256"];
export const LATENCY_MS = 50;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The alerts' webhook: counts what arrives by scope and kind, keeps nothing else. */
async function receiver(): Promise<{ url: string; counts: Record<string, number>; close(): Promise<void> }> {
  const counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const { scope, kind } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { scope: string; kind: string };
      counts[`${scope} ${kind}`] = (counts[`${scope} ${kind}`] ?? 0) + 1;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, counts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function postgresStore(): Promise<{ server: RunningPostgres; url: string; size: () => Promise<number> }> {
  const server = await startPostgres();
  const db = await createDatabase(server.adminUrl);
  const size = async () => {
    const client = new pg.Client({ connectionString: server.adminUrl, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const name = new URL(db.url).pathname.slice(1);
      return Number((await client.query<{ size: string }>("SELECT pg_database_size($1) AS size", [name])).rows[0]!.size);
    } catch {
      return NaN; // the server is being restarted
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return { server, url: db.url, size };
}

export async function runSoak(o: SoakOptions, progress: (row: SoakRow) => void = () => {}): Promise<SoakResult> {
  const alerts = await receiver();
  const standIn = fork(here("stand-in.ts"), [String(o.bots), String(LATENCY_MS)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let monitor: ChildProcess | undefined;
  let postgres: Awaited<ReturnType<typeof postgresStore>> | undefined;
  try {
    const sandboxUrl = await nextMessage<string>(standIn, "url");
    if (o.engine === "postgres") postgres = await postgresStore();
    const monitorOptions: SoakMonitorOptions = {
      apiRoot: sandboxUrl,
      receiverUrl: alerts.url,
      bots: o.bots,
      intervalMs: o.intervalMs,
      concurrency: o.concurrency,
      timeoutMs: o.timeoutMs,
      ...(postgres && { storeUrl: postgres.url }),
      ...(o.monitorEvaluationMs && { monitorEvaluationMs: o.monitorEvaluationMs }),
    };
    const t0 = performance.now();
    const sinceStart = () => performance.now() - t0;
    monitor = fork(here("soak-monitor.ts"), [JSON.stringify(monitorOptions)], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: o.nodeOptions });
    let monitorExit: number | null | undefined;
    monitor.once("exit", (code) => (monitorExit = code));
    const monitorUrl = await nextMessage<string>(monitor, "url");

    // Faults, in the background: one every period, none whose recovery would run past the end.
    const recoveryMs = o.intervalMs + o.retryAfterS * 1000;
    const faults: FaultWindow[] = [];
    let current: { kind: string; from: number } | undefined;
    const plan = { sandboxUrl, bots: o.bots, holdMs: o.faultHoldMs, retryAfterS: o.retryAfterS, ...(postgres && { postgres: postgres.server }) };
    const faulting = (async () => {
      for (let i = 0; ; i++) {
        const at = (i + 1) * o.faultPeriodMs;
        if (at + o.faultHoldMs + recoveryMs > o.durationMs) return;
        await sleep(at - sinceStart());
        const kinds = rotation(postgres !== undefined);
        current = { kind: kinds[i % kinds.length]!, from: sinceStart() };
        const window = await runFault(plan, i, sinceStart);
        current = undefined;
        faults.push(window);
      }
    })();
    const faultsIn = (from: number, to: number, after: number) => [
      ...new Set([...faults.filter((f) => f.from < to && f.to + after > from).map((f) => f.kind), ...(current && current.from < to ? [current.kind] : [])]),
    ];

    const rows: SoakRow[] = [];
    const sample = async (lagFrom: LagHistogram, previous: SoakSample | undefined): Promise<[SoakSample, LagHistogram]> => {
      monitor!.send("sample");
      const s = await nextMessage<SoakSample>(monitor!, "sample");
      standIn.send("stats");
      const stand = await nextMessage<StandInStats>(standIn, "stats");
      const lag = await scrapeScheduleLag(monitorUrl);
      const at = sinceStart();
      if (previous) {
        const row: SoakRow = {
          ...s,
          at: at / 1000,
          sweepsStarted: s.started - previous.started,
          sweepsDue: (o.bots * o.sampleMs) / o.intervalMs,
          lagP99Ms: lagQuantileMs(lagBetween(lagFrom, lag), 0.99),
          lag: lagBetween(lagFrom, lag),
          held: faultsIn(at - o.sampleMs, at, 0),
          faults: faultsIn(at - o.sampleMs, at, recoveryMs),
          notifications: Object.values(alerts.counts).reduce((a, b) => a + b, 0),
          standInRssMb: stand.rssMb,
          load: os.loadavg()[0]!,
          ...(postgres && { storeBytes: await postgres.size() }),
        };
        rows.push(row);
        progress(row);
      }
      return [s, lag];
    };
    // The first row is the start's: every bot's first sweep falls in it.
    // The lag series appears with the first sweep; until then /metrics has none.
    const firstLag = async (): Promise<LagHistogram> => {
      for (let tries = 0; ; tries++) {
        try {
          return await scrapeScheduleLag(monitorUrl);
        } catch (error) {
          if (tries >= 50) throw error;
          await sleep(200);
        }
      }
    };
    let [last, lag] = await sample(await firstLag(), undefined);
    const lagStart = lag;
    for (let next = o.sampleMs; next <= o.durationMs; next += o.sampleMs) {
      await sleep(next - sinceStart());
      if (monitorExit !== undefined) throw new Error(`the monitor exited (${monitorExit}) at ${(sinceStart() / 1000).toFixed(0)} s`);
      [last, lag] = await sample(lag, last);
    }
    await faulting;
    const lagP99Ms = lagQuantileMs(lagBetween(lagStart, lag), 0.99);
    monitor.send("stop");
    const exit = monitorExit !== undefined ? monitorExit : await new Promise<number | null>((resolve) => monitor!.once("exit", resolve));
    return { options: o, rows, faults, notifications: { ...alerts.counts }, lagP99Ms, monitorExit: exit };
  } finally {
    if (monitor && monitor.exitCode === null) monitor.kill();
    standIn.disconnect();
    await postgres?.server.destroy();
    await alerts.close();
  }
}
