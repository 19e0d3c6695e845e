/**
 * Fills a database with generated history (README, "Storage and history"), for the bench and the history read measurements:
 * `bots` bots over `days` days ending at `now`; one bot in five flaps (changes health a few times a day),
 * the others have an outage about once a month; the monitor restarted every ten days with a few minutes
 * down in between (gaps); each outage fires an incident with notifications; a few admin changes a day.
 * Deterministic for a seed. `historyFixture` gives it as plain events; `fillHistory` writes them through the
 * SQLite repository (SqliteHistory), then rolls the days up.
 */
import type { Health } from "../src/model.ts";
import type { AuditEntry, CheckTransition, NotificationAttempt } from "../src/history/events.ts";
import { incidentId, type AlertHistoryEvent } from "../src/history/incidents.ts";
import type { HealthTransition } from "../src/history/uptime.ts";
import type { SqliteDatabase } from "../src/store/sqlite/database.ts";
import { SqliteHistory } from "../src/store/sqlite/history.ts";
import { DailyUptime } from "../src/store/sqlite/rollups.ts";

export interface HistoryFixture {
  bots: number;
  days: number;
  now: number;
  seed?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export const fixtureBotName = (i: number): string => `bot-${String(i).padStart(5, "0")}`;

/** mulberry32: a small, fast, seeded generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One write of the generated history, in the order it is made. */
export type FixtureEvent =
  | { kind: "health"; bot: string; transition: HealthTransition }
  | { kind: "check"; transition: CheckTransition }
  | { kind: "alert"; event: AlertHistoryEvent }
  | { kind: "notification"; attempt: NotificationAttempt }
  | { kind: "audit"; entry: AuditEntry };

export interface FixtureHistory {
  /** The monitor's runs, one after the other; the last one (stoppedAt null) runs until `now`. */
  runs: { startedAt: number; stoppedAt: number | null }[];
  events: FixtureEvent[];
  transitions: number;
  incidents: number;
}

/** The generated history as plain events, for any engine (test/store/history-contract.ts replays them). */
export function historyFixture(fixture: HistoryFixture): FixtureHistory {
  const { bots, days, now } = fixture;
  const rnd = random(fixture.seed ?? 1);
  const start = now - days * DAY;
  const runs: FixtureHistory["runs"] = [];
  const events: FixtureEvent[] = [];
  let transitions = 0;
  let incidents = 0;
  for (let runStart = start - MINUTE; runStart < now; runStart += 10 * DAY) {
    const end = runStart + 10 * DAY - 5 * MINUTE;
    runs.push({ startedAt: runStart, stoppedAt: end < now ? end : null });
  }
  for (let i = 0; i < bots; i++) {
    const bot = fixtureBotName(i);
    const flapping = i % 5 === 0;
    const firstSeen = i % 50 === 7 ? start + Math.floor(rnd() * days) * DAY : start;
    const write = (at: number, health: Health, message: string | null) => {
      events.push({ kind: "health", bot, transition: { at, health, message } });
      events.push({ kind: "check", transition: { bot, check: "connection", at, status: health === "healthy" ? "ok" : "fail", message } });
      transitions++;
    };
    write(firstSeen, "healthy", null);
    const meanGap = flapping ? DAY / 4 : 30 * DAY;
    for (let at = firstSeen + rnd() * meanGap * 2; at < now; at += rnd() * meanGap * 2) {
      const outage = Math.floor(rnd() * (flapping ? 12 : 120) * MINUTE) + MINUTE;
      const health: Health = rnd() < 0.5 ? "down" : "degraded";
      const down = Math.floor(at);
      write(down, health, "Secretary connection disabled");
      if (down + outage < now) write(down + outage, "healthy", null);
      if (outage > 5 * MINUTE) {
        const severity = health === "down" ? "down" : "degraded";
        events.push({ kind: "alert", event: { at: down + 3 * MINUTE, key: bot, kind: "fired", severity, since: down, checks: [{ check: "connection", status: "fail", message: "Secretary connection disabled" }] } });
        events.push({ kind: "notification", attempt: { at: down + 3 * MINUTE, alertKey: bot, incidentId: incidentId(bot, down), channel: "ops-mail", kind: "firing", result: "sent", attempts: 1 } });
        if (down + outage < now) events.push({ kind: "alert", event: { at: down + outage + 2 * MINUTE, key: bot, kind: "resolved", severity, since: down } });
        incidents++;
      }
      at += outage;
    }
  }
  for (let at = start; at < now; at += DAY / 4) {
    events.push({ kind: "audit", entry: { at, tokenName: "ops", address: "10.0.0.7", method: "POST", route: "/api/v1/silences", bot: fixtureBotName(Math.floor(rnd() * bots)), summary: "silence created for 1h" } });
  }
  return { runs, events, transitions, incidents };
}

/** Writes the generated history to a SQLite database and rolls it up. Returns what it wrote, for the report. */
export function fillHistory(db: SqliteDatabase, fixture: HistoryFixture): { transitions: number; incidents: number; liveRun: number } {
  const generated = historyFixture(fixture);
  const history = new SqliteHistory(db);
  let liveRun = 0;
  db.transaction(() => {
    for (const run of generated.runs) {
      const id = history.startRun(run.startedAt);
      if (run.stoppedAt !== null) history.stopRun(id, run.stoppedAt);
      else liveRun = id;
    }
    for (const e of generated.events) {
      if (e.kind === "health") history.recordHealth(e.bot, e.transition);
      else if (e.kind === "check") history.recordCheck(e.transition);
      else if (e.kind === "alert") history.recordAlert(e.event);
      else if (e.kind === "notification") history.recordNotification(e.attempt);
      else history.recordAudit(e.entry);
    }
  });
  new DailyUptime(db, history).rollUp(fixture.now, liveRun);
  return { transitions: generated.transitions, incidents: generated.incidents, liveRun };
}
