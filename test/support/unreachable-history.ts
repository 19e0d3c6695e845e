import type { HistoryReader } from "../../src/history/history.ts";

/** What the unreachable store's reads reject with: names a file and a host, which no answer may repeat. */
export const UNREACHABLE_CAUSE = "connect ECONNREFUSED db.internal:5432 (database /data/watch.db)";

/**
 * A history store that cannot be reached (the PostgreSQL server down, the disk gone): every read rejects,
 * after a turn of the event loop as a network client's would. `calls` names each read asked.
 */
export function unreachableHistory(): { history: HistoryReader; calls: string[] } {
  const calls: string[] = [];
  const reject = (name: string) => async (): Promise<never> => {
    calls.push(name);
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error(UNREACHABLE_CAUSE);
  };
  const history: HistoryReader = {
    fleetUptime: reject("fleetUptime"),
    botUptime: reject("botUptime"),
    botHistory: reject("botHistory"),
    dailyBar: reject("dailyBar"),
    fleetBars: reject("fleetBars"),
    openIncident: reject("openIncident"),
    openIncidents: reject("openIncidents"),
    incidents: reject("incidents"),
    audit: reject("audit"),
    notifications: reject("notifications"),
  };
  return { history, calls };
}
