import type { MonitorRun } from "../../history/uptime.ts";
import type { Queryable, RunsReader } from "./stored-rows.ts";

/** This replica's run of the monitor: its start, and its row's id once a commit wrote it. */
export interface LiveRun {
  startedAt: number;
  id?: number | undefined;
}

/**
 * The monitor's runs overlapping [from, to), every replica's (migration 005: the fleet is known while any
 * replica runs, the union of their runs; history/uptime.ts `coverage`): each run from its start to its
 * last heartbeat, so a replica killed while another runs leaves no gap, and a fleet with none running
 * does. This replica's own run lasts until `to`, whatever its last heartbeat, also before its row is
 * committed.
 */
export function runsReader(live: () => LiveRun | undefined): RunsReader {
  return async (db: Queryable, from: number, to: number): Promise<MonitorRun[]> => {
    const { rows } = await db.query<{ id: number; started_at: number; heartbeat_at: number; stopped_at: number | null }>(
      "SELECT id, started_at, heartbeat_at, stopped_at FROM monitor_runs WHERE heartbeat_at > $1 AND started_at < $2 ORDER BY started_at",
      [from, to],
    );
    const run = live();
    const runs: MonitorRun[] = rows.filter((r) => r.id !== run?.id).map((r) => ({ startedAt: r.started_at, heartbeatAt: r.heartbeat_at, stoppedAt: r.stopped_at }));
    if (run && run.startedAt < to) runs.push({ startedAt: run.startedAt, heartbeatAt: to, stoppedAt: null });
    return runs.sort((a, b) => a.startedAt - b.startedAt);
  };
}
