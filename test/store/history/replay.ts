import { historyFixture, type HistoryFixture } from "../../../bench/history-fixture.ts";
import type { HealthTransition, MonitorRun } from "../../../src/history/uptime.ts";
import type { HistoryEngine, Monitor } from "./engine.ts";

/** The generated history as the engine got it, and as plain values for history/uptime.ts (the exact figures). */
export interface Replayed {
  live: Monitor;
  runs: MonitorRun[];
  transitions: Map<string, HealthTransition[]>;
}

/**
 * Replays bench/history-fixture.ts's history into the engine as monitors record it: each run a monitor
 * of its own (begun, then stopped), the last one still running (`live`, the reader); the events through
 * the live one's log, committed; then the days rolled up, unless `rollUp` is false.
 */
export async function replay(engine: HistoryEngine, fixture: HistoryFixture, options: { rollUp?: boolean } = {}): Promise<Replayed> {
  const generated = historyFixture(fixture);
  let live: Monitor | undefined;
  const runs: MonitorRun[] = [];
  for (const run of generated.runs) {
    const monitor = engine.monitor();
    monitor.history.begin(run.startedAt);
    await monitor.commit();
    if (run.stoppedAt === null) {
      live = monitor;
      runs.push({ startedAt: run.startedAt, heartbeatAt: fixture.now });
    } else {
      monitor.history.end(run.stoppedAt);
      await monitor.commit();
      runs.push({ startedAt: run.startedAt, heartbeatAt: run.stoppedAt });
    }
  }
  if (!live) throw new Error("the fixture's last run is still going");
  const transitions = new Map<string, HealthTransition[]>();
  for (const e of generated.events) {
    if (e.kind === "health") {
      live.history.recordHealth(e.bot, e.transition);
      const list = transitions.get(e.bot) ?? transitions.set(e.bot, []).get(e.bot)!;
      list.push(e.transition);
    } else if (e.kind === "check") live.history.recordCheck(e.transition);
    else if (e.kind === "alert") live.history.recordAlert(e.event);
    else if (e.kind === "notification") live.history.recordNotification(e.attempt);
    else live.history.recordAudit(e.entry);
  }
  await live.commit();
  if (options.rollUp !== false) await live.history.rollUp(fixture.now);
  return { live, runs, transitions };
}

/** One bot's history over [from, to) as plain values (history/uptime.ts's BotHistory). */
export function exactWindow(list: readonly HealthTransition[], runs: readonly MonitorRun[], from: number, to: number) {
  return { from, to, before: list.filter((t) => t.at < from).at(-1), transitions: list.filter((t) => t.at >= from && t.at < to), firstSeen: list[0]?.at, runs };
}
