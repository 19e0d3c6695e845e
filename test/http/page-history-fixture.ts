import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotStatus, CheckResult, Health } from "../../src/model.ts";
import type { Monitor } from "../../src/monitor.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteHistoryStore } from "../../src/store/sqlite/history-store.ts";

/**
 * A fleet with 100 days of real history in a SQLite store (written through the store's history log, the
 * monitor's runs included, then rolled up as the service does after midnight), and a monitor that
 * serves the fleet's present. Times are relative to NOW, a fixed wall clock.
 */
export const MIN = 60_000;
export const H = 60 * MIN;
export const DAY = 24 * H;
export const NOW = Date.parse("2026-11-05T15:00:00.000Z");
export const TODAY = Math.floor(NOW / DAY) * DAY;
/** The UTC date `days` before today. */
export const dateAgo = (days: number) => new Date(TODAY - days * DAY).toISOString().slice(0, 10);

/** Telegram-controlled text: a check message that carries markup. */
export const EVIL = `<img src=x onerror="window.__pwned=1">&"'`;

export const BOTS = [
  { name: "anna", username: "anna_secretary_bot" },
  { name: "newbie", username: "newbie_secretary_bot" },
  { name: "revoked", username: "revoked_secretary_bot" },
];

const check = (c: Partial<CheckResult> & Pick<CheckResult, "check" | "status">): CheckResult => ({ durationMs: 5, at: new Date(NOW - 5_000).toISOString(), since: new Date(NOW - 2 * H).toISOString(), ...c });
const status = (name: string, health: Health, checks: CheckResult[]): BotStatus => ({
  name, username: `${name}_secretary_bot`, health, since: new Date(NOW - 2 * H).toISOString(), checkedAt: new Date(NOW - 5_000).toISOString(), checks, observed: {},
});
export const STATUSES: Record<string, BotStatus> = {
  anna: status("anna", "healthy", [check({ check: "token", status: "ok" })]),
  newbie: status("newbie", "healthy", [check({ check: "token", status: "ok" })]),
  revoked: status("revoked", "down", [check({ check: "token", status: "fail", impact: "down", message: "Telegram answered 401 Unauthorized", remediation: "Open @BotFather and copy the current token." })]),
};

export function fakeMonitor(bots = BOTS, statuses = STATUSES): Monitor {
  return {
    *bots() {
      yield* bots.map((b) => ({ ...b, token: "1:x" }));
    },
    status: (name: string) => statuses[name],
    get: (name: string) => bots.find((b) => b.name === name),
  } as unknown as Monitor;
}

export interface HistoryFixture {
  store: SqliteHistoryStore;
  close(): void;
}

/**
 * anna: healthy for 100 days but down 12 min 3 days ago (an incident: fired, told, resolved) and degraded
 * an hour 10 days ago; newbie: first swept 4 days ago; revoked: down since 2 h ago (an open incident
 * whose check message carries markup). The monitor was off from 40 days ago 06:00 to 38 days ago 00:00.
 */
export function historyFixture(): HistoryFixture {
  const dir = mkdtempSync(join(tmpdir(), "page-history-"));
  const db = SqliteDatabase.open({ path: join(dir, "history.db") });
  const store = new SqliteHistoryStore(db, () => {});
  const rows = store.rows;
  const first = rows.startRun(TODAY - 100 * DAY);
  rows.heartbeat(first, TODAY - 40 * DAY + 6 * H);
  rows.stopRun(first, TODAY - 40 * DAY + 6 * H);
  const second = rows.startRun(TODAY - 38 * DAY);
  rows.heartbeat(second, NOW);

  rows.recordHealth("anna", { at: TODAY - 100 * DAY, health: "healthy" });
  rows.recordHealth("anna", { at: TODAY - 10 * DAY + 9 * H, health: "degraded", message: "2500 updates pending" });
  rows.recordHealth("anna", { at: TODAY - 10 * DAY + 10 * H, health: "healthy" });
  const down = TODAY - 3 * DAY + 14 * H;
  rows.recordHealth("anna", { at: down, health: "down", message: "connection disabled" });
  rows.recordHealth("anna", { at: down + 12 * MIN, health: "healthy" });
  const annaIncident = rows.recordAlert({ at: down + 2 * MIN, key: "anna", kind: "fired", severity: "down", since: down, checks: [{ check: "connection", status: "fail", message: "the business connection is disabled" }] });
  rows.recordNotification({ at: down + 2 * MIN + 500, alertKey: "anna", incidentId: annaIncident.id, channel: "ops-telegram", kind: "firing", result: "sent", attempts: 1 });
  rows.recordAlert({ at: down + 12 * MIN, key: "anna", kind: "resolved", severity: "down", since: down });

  rows.recordHealth("newbie", { at: TODAY - 4 * DAY + 12 * H, health: "healthy" });

  rows.recordHealth("revoked", { at: TODAY - 100 * DAY, health: "healthy" });
  rows.recordHealth("revoked", { at: NOW - 2 * H, health: "down", message: "Telegram answered 401 Unauthorized" });
  const open = rows.recordAlert({ at: NOW - 2 * H + 2 * MIN, key: "revoked", kind: "fired", severity: "down", since: NOW - 2 * H, checks: [{ check: "token", status: "fail", message: EVIL }] });
  rows.recordNotification({ at: NOW - 2 * H + 3 * MIN, alertKey: "revoked", incidentId: open.id, channel: "ops-mail", kind: "firing", result: "failed", attempts: 3, error: "refused" });

  store.rollups.rollUp(NOW, second);
  return {
    store,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
