import type { WatchState } from "../src/watch-state.ts";

/** A bot's last sweep as the monitor stores it: five checks, all well (bench/store-writes.ts, bench/history-read.ts). */
export function sweepResult(name: string, at: string): WatchState["results"] {
  const since = "2026-11-24T12:00:00.000Z";
  const checks = ["token", "business", "connection", "rights", "latency"].map((check) => ({ check, status: "ok", message: `${check} is fine`, durationMs: 41.7, latencyMs: 40, at, since }));
  return { name, username: `${name}_bot`, health: "healthy", since, checkedAt: at, checks, observed: { connectionEnabled: true, rights: { can_reply: true } } } as unknown as WatchState["results"];
}
