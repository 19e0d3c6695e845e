/**
 * Fills a database with generated history (README, "Storage and history"), for the bench and the history read measurements:
 * `bots` bots over `days` days ending at `now`; one bot in five flaps (changes health a few times a day),
 * the others have an outage about once a month; the monitor restarted every ten days with a few minutes
 * down in between (gaps); each outage fires an incident with notifications; a few admin changes a day.
 * Deterministic for a seed. Writes through the repository (SqliteHistory), then rolls the days up.
 */
import type { Health } from "../src/model.ts";
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

/** Returns what it wrote, for the report. */
export function fillHistory(db: SqliteDatabase, fixture: HistoryFixture): { transitions: number; incidents: number; liveRun: number } {
  const { bots, days, now } = fixture;
  const rnd = random(fixture.seed ?? 1);
  const history = new SqliteHistory(db);
  const start = now - days * DAY;
  let transitions = 0;
  let incidents = 0;
  let liveRun = 0;
  db.transaction(() => {
    for (let runStart = start - MINUTE; runStart < now; runStart += 10 * DAY) {
      const id = history.startRun(runStart);
      const end = runStart + 10 * DAY - 5 * MINUTE;
      if (end < now) history.stopRun(id, end);
      else liveRun = id;
    }
    for (let i = 0; i < bots; i++) {
      const bot = fixtureBotName(i);
      const flapping = i % 5 === 0;
      const firstSeen = i % 50 === 7 ? start + Math.floor(rnd() * days) * DAY : start;
      const write = (at: number, health: Health, message: string | null) => {
        history.recordHealth(bot, { at, health, message });
        history.recordCheck({ bot, check: "connection", at, status: health === "healthy" ? "ok" : "fail", message });
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
          const incident = history.recordAlert({ at: down + 3 * MINUTE, key: bot, kind: "fired", severity, since: down, checks: [{ check: "connection", status: "fail", message: "Secretary connection disabled" }] });
          history.recordNotification({ at: down + 3 * MINUTE, alertKey: bot, incidentId: incident.id, channel: "ops-mail", kind: "firing", result: "sent", attempts: 1 });
          if (down + outage < now) history.recordAlert({ at: down + outage + 2 * MINUTE, key: bot, kind: "resolved", severity, since: down });
          incidents++;
        }
        at += outage;
      }
    }
    for (let at = start; at < now; at += DAY / 4) {
      history.recordAudit({ at, tokenName: "ops", address: "10.0.0.7", method: "POST", route: "/api/v1/silences", bot: fixtureBotName(Math.floor(rnd() * bots)), summary: "silence created for 1h" });
    }
  });
  new DailyUptime(db, history).rollUp(now, liveRun);
  return { transitions, incidents, liveRun };
}
