import type { History } from "../../../src/history/history.ts";
import type { Uptime } from "../../../src/history/uptime.ts";
import type { HistoryHousekeeping } from "../../../src/store/history-maintenance.ts";

/** A history store of either engine, as its StateStore owns it: the log, the reader, the run, the housekeeping. */
export type EngineHistory = History &
  HistoryHousekeeping & {
    begin(now: number): void;
    end(now: number): void;
    fleetUptimeOver(now: number, windowMs: number): Promise<Map<string, Uptime>>;
    fleetUptimeWindows(now: number, windows: Record<string, number>): Promise<Map<string, Record<string, Uptime>>>;
    pending(): { any: boolean; disk: boolean };
  };

/** One monitor process (a replica on PostgreSQL) on the engine's database, with a test-only committer. */
export interface Monitor {
  history: EngineHistory;
  /** Writes what is queued in one transaction, then drops it from the queue (as the store's commit does). */
  commit(): Promise<void>;
}

/**
 * The small harness the history contract runs on (history-contract.ts): a database of one engine,
 * monitors on it, and a few statements of SQL that both engines speak (`?` for each parameter).
 */
export interface HistoryEngine {
  name: string;
  /** A monitor on the database; `autoCommit`: its writes are committed as the store would, soon after each. */
  monitor(options?: { replica?: string; autoCommit?: boolean }): Monitor;
  /** The first column of the first row. */
  value(sql: string, ...params: unknown[]): Promise<unknown>;
  exec(sql: string): Promise<void>;
  /** Makes every delete of a health transition fail, as a failing disk or server would. */
  refuseDeletes(): Promise<void>;
  /** Empties every history table (a property test's runs each start from nothing). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export const HISTORY_TABLES = ["monitor_runs", "health_transitions", "check_transitions", "daily_uptime", "incidents", "alert_events", "notifications", "audit_log", "uptime_bots", "fleet_uptime"];

/** Serializes a monitor's commits (an automatic one and an asked one never run at once, as in the store). */
export function committer(commitOnce: () => Promise<void>): { commit(): Promise<void>; request(): void } {
  let chain = Promise.resolve();
  const commit = () => (chain = chain.then(commitOnce));
  return { commit, request: () => void commit().catch(() => undefined) };
}
