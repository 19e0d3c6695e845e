/**
 * Issue 20, item 5, the short form of `npm run soak` (bench/soak-run.ts, the same code): 1,000 bots at a
 * 5 s interval for 80 s, a fault every 15 s (429 storm, 500, hangs of 1 % of the bots, resets), the
 * monitor in its own process with the deploy's V8 flags. What 80 s can show: the schedule holds (every
 * bot swept each interval outside faults, lag p99 < 1 s), nothing crashes, RSS stays bounded, each
 * fleet-wide fault's "cannot reach Telegram" alert fires and resolves, and no bot alert comes of them.
 * The hour at 10,000 bots (RSS slope < 1 MB per 10 minutes) is `npm run soak`; its last run is bench/SOAK.md.
 */
import { describe, expect, it } from "vitest";
import { faultsTable, rowsTable, summarize, summaryTable } from "../../bench/soak-report.ts";
import { DEPLOY_NODE_OPTIONS, runSoak, type SoakOptions } from "../../bench/soak-run.ts";

const OPTIONS: SoakOptions = {
  bots: 1_000,
  intervalMs: 5_000,
  concurrency: 64,
  durationMs: 80_000,
  faultPeriodMs: 15_000,
  faultHoldMs: 5_000,
  retryAfterS: 2,
  sampleMs: 2_500,
  warmUpMs: 20_000,
  engine: "sqlite",
  timeoutMs: 2_000,
  // The monitor alert needs two evaluations of an unknown majority; the service's default is one interval.
  monitorEvaluationMs: 1_000,
  nodeOptions: DEPLOY_NODE_OPTIONS,
};

describe("soak, short form (npm run soak is the hour)", () => {
  it("when 1,000 bots run for 80 s with a fault every 15 s, then every bot is swept each interval outside faults with lag p99 < 1 s, RSS stays bounded, every fault's monitor alert resolves and no bot alert comes of them", async () => {
    const result = await runSoak(OPTIONS);
    const s = summarize(result);
    console.log(`[soak] ${summaryTable(result, s)}\n\n${faultsTable(result)}\n\n${rowsTable(result.rows, 2)}`);

    // No crash: every row sampled, the monitor stopped cleanly.
    expect(result.monitorExit).toBe(0);
    expect(result.rows.length).toBe(OPTIONS.durationMs / OPTIONS.sampleMs);
    expect(result.faults.map((f) => f.kind)).toEqual(["429 storm", "5xx", "hang", "reset"]);

    // The schedule: outside faults every slot's sweep started and no result is older than an interval.
    expect(s.cleanRows).toBeGreaterThanOrEqual(6);
    expect(s.cleanSweepsShareMin).toBeGreaterThanOrEqual(0.9);
    expect(s.cleanOldestResultMaxS).toBeLessThan(OPTIONS.intervalMs / 1000 + 1.5);
    // Through the faults too, sweeps kept starting (the start's row aside: first sweeps fall off their slots).
    const afterStart = result.rows.slice(1);
    const started = afterStart.reduce((sum, r) => sum + r.sweepsStarted, 0);
    const due = afterStart.reduce((sum, r) => sum + r.sweepsDue, 0);
    expect(started / due).toBeGreaterThan(0.97);
    expect(s.lagP99Ms).toBeLessThan(1000);
    expect(s.cleanLagP99MaxMs).toBeLessThan(1000);

    // Memory: bounded (bench/RESULTS.md: ~210 MB at 1,000 bots with these flags), no steep climb after warm-up.
    expect(s.rssMaxMb).toBeLessThan(320);
    expect(s.rssAfterWarmUp[1] - s.rssAfterWarmUp[0]).toBeLessThan(40);

    // Alerts: one monitor alert per fleet-wide fault (not the hangs of 1 %), each resolved; the bot
    // alerts are only the broken fifth of the fleet's, fired once at the start and never resolved by a fault.
    expect(s.fleetWideFaults).toBe(3);
    expect(s.monitorAlerts).toEqual({ firing: 3, resolved: 3 });
    expect(result.notifications["bot firing"]).toBe(OPTIONS.bots / 5);
    expect(result.notifications["bot resolved"] ?? 0).toBe(0);
  }, 115_000);
});
