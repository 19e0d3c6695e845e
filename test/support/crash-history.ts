/**
 * What the history says about a monitor that was killed again and again (test/faults/crash.test.ts,
 * issue 14 acceptance 4): read through the history store on the database file, checked against the
 * outages the test itself measured. Returns what is wrong (empty lists when all is well) and figures.
 */
import type { MonitorRun } from "../../src/history/uptime.ts";
import { coverage } from "../../src/history/uptime.ts";
import { intersect, length, subtract, union, type Span } from "../../src/history/spans.ts";
import { readHistory } from "./database-reader.ts";

/** An outage as the test saw it: the process had exited at `from` and was spawned again at `to`. */
export type Outage = Span;

export interface CrashHistory {
  runs: MonitorRun[];
  /** Runs whose record contradicts the outages (count, heartbeat after the kill, start before the spawn…). */
  runProblems: string[];
  /** Bot by bot: known health over time the monitor was down, or a down time not in the gaps. */
  falseKnown: string[];
  /** Steady bots (healthy throughout) whose known time is not exactly the runs' time since their first sweep. */
  knownMismatch: string[];
  /** Per outage: its length, and how much longer the gap was (from the last heartbeat to the next start). */
  gapExcessMs: number[];
  knownRatioOfSteady: number;
}

/**
 * `outages` in time order, one between each pair of runs; `maxHeartbeatLagMs` how long before a kill the
 * run's last heartbeat may be (its interval, and the event loop's lag under load); `steady` bots that were
 * healthy for the whole test.
 */
export function crashHistory(dbPath: string, o: { from: number; to: number; outages: Outage[]; bots: string[]; steady: string[]; maxHeartbeatLagMs: number }): Promise<CrashHistory> {
  return readHistory(dbPath, async (history) => {
    const runs = history.rows.runs(o.from, o.to);
    const runProblems: string[] = [];
    if (runs.length !== o.outages.length + 1) runProblems.push(`${runs.length} runs recorded for ${o.outages.length + 1} starts`);
    const gapExcessMs: number[] = [];
    for (const [i, outage] of o.outages.entries()) {
      const [killed, next] = [runs[i], runs[i + 1]];
      if (!killed || !next) break;
      if (killed.stoppedAt !== null) runProblems.push(`run ${i} was killed, yet it is recorded as stopped at ${killed.stoppedAt}`);
      if (killed.heartbeatAt > outage.from) runProblems.push(`run ${i}: heartbeat ${killed.heartbeatAt - outage.from} ms after the process had exited`);
      if (killed.heartbeatAt < outage.from - o.maxHeartbeatLagMs) runProblems.push(`run ${i}: last heartbeat ${outage.from - killed.heartbeatAt} ms before the kill`);
      if (next.startedAt < outage.to) runProblems.push(`run ${i + 1}: started ${outage.to - next.startedAt} ms before it was spawned`);
      gapExcessMs.push(next.startedAt - killed.heartbeatAt - (outage.to - outage.from));
    }
    if (runs.at(-1)?.stoppedAt == null) runProblems.push("the last run ended with SIGTERM, yet it is not recorded as stopped");
    // The time the monitor was down, by its own record: from each run's last heartbeat to the next start.
    const down = runs.slice(1).map((next, i) => ({ from: runs[i]!.heartbeatAt, to: next.startedAt }));
    const downs = union([...down, ...o.outages]);

    const falseKnown: string[] = [];
    const knownMismatch: string[] = [];
    const ran = coverage(runs);
    let steadyKnown = 0;
    let steadyWindow = 0;
    for (const bot of o.bots) {
      const line = await history.botHistory(bot, o.from, o.to);
      for (const d of downs) {
        const known = line.health.flatMap((s) => intersect(d, [s]).map((p) => `${s.health} ${p.to - p.from} ms`));
        if (known.length > 0) falseKnown.push(`${bot}: known while the monitor was down [${d.from}, ${d.to}): ${known.join(", ")}`);
        if (length(subtract(d, line.gaps)) > 0) falseKnown.push(`${bot}: the down time [${d.from}, ${d.to}) is not all in the gaps`);
      }
      if (!o.steady.includes(bot)) continue;
      const firstSeen = history.rows.botWindow(bot, o.from, o.to).firstSeen ?? o.to;
      const expected = intersect({ from: Math.max(o.from, firstSeen), to: o.to }, ran);
      const knownMs = length(line.health);
      const windowMs = o.to - o.from;
      if (line.health.some((s) => s.health !== "healthy")) knownMismatch.push(`${bot}: not healthy throughout (${line.health.map((s) => s.health).join(", ")})`);
      if (knownMs !== length(expected)) knownMismatch.push(`${bot}: known ${knownMs} ms, the runs since its first sweep ${length(expected)} ms`);
      if (Math.abs((line.uptime.known ?? 0) - knownMs / windowMs) > 1e-9) knownMismatch.push(`${bot}: uptime.known ${line.uptime.known}, ${knownMs / windowMs} expected`);
      steadyKnown += knownMs;
      steadyWindow += windowMs;
    }
    return { runs, runProblems, falseKnown, knownMismatch, gapExcessMs, knownRatioOfSteady: steadyWindow === 0 ? 0 : steadyKnown / steadyWindow };
  });
}
