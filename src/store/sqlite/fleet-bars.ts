import type { Health } from "../../model.ts";
import { DAY_MS, utcDay } from "../../history/spans.ts";
import { dailyBar, type DayCell, type HealthTransition, type KnownHealth } from "../../history/uptime.ts";
import type { SqliteDatabase } from "./database.ts";
import type { SqliteHistory } from "./history.ts";

/**
 * Many bots' 90-day bars at once (the page's bots), the same cells as `DailyUptime.bar` gives each: the
 * rolled-up days in one read of `daily_uptime` through its (bot, day) index, the days not rolled up yet
 * (today, or a few when the monitor was stopped across midnight) from those days' transitions, read in
 * one query for all the bots. Without `bots`, every bot with history.
 */
export function fleetBars(db: SqliteDatabase, history: SqliteHistory, lastRolledDay: number | undefined, now: number, days: number, bots?: readonly string[], liveRun?: number): Map<string, DayCell[]> {
  const today = utcDay(now);
  const first = today - days + 1;
  const lastRolled = Math.min(lastRolledDay ?? first - 1, today - 1);
  const names = bots ?? db.arrays("SELECT DISTINCT bot FROM health_transitions").map(([bot]) => bot as string);
  const asked = JSON.stringify(names);
  const dates = new Map<number, string>();
  const dateOf = (day: number) => dates.get(day) ?? dates.set(day, new Date(day * DAY_MS).toISOString().slice(0, 10)).get(day)!;
  const cells = new Map<string, Map<number, DayCell>>(names.map((bot) => [bot, new Map()]));
  if (lastRolled >= first) {
    const rows = db.arrays("SELECT bot, day, worst, known_ms, up_ms FROM daily_uptime WHERE bot IN (SELECT value FROM json_each(?)) AND day >= ? AND day <= ?", asked, first, lastRolled);
    for (const [bot, day, worst, known, up] of rows)
      cells.get(bot as string)?.set(Number(day), { date: dateOf(Number(day)), from: Number(day) * DAY_MS, worst: worst as KnownHealth | null, downMs: Number(known) - Number(up), knownMs: Number(known) });
  }
  const exactFrom = Math.max(first, lastRolled + 1) * DAY_MS;
  if (exactFrom < now) {
    const runs = history.runs(exactFrom, now, liveRun);
    const transitions = new Map<string, HealthTransition[]>();
    for (const [bot, at, health] of db.arrays("SELECT bot, at, health FROM health_transitions WHERE bot IN (SELECT value FROM json_each(?)) AND at >= ? AND at < ? ORDER BY at, id", asked, exactFrom, now)) {
      const list = transitions.get(bot as string) ?? transitions.set(bot as string, []).get(bot as string)!;
      list.push({ at: Number(at), health: health as Health });
    }
    for (const bot of names) {
      const before = db.get<{ at: number; health: Health }>("SELECT at, health FROM health_transitions WHERE bot = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1", bot, exactFrom);
      const own = transitions.get(bot) ?? [];
      if (!before && own.length === 0) continue;
      for (const cell of dailyBar({ from: exactFrom, to: now, before, transitions: own, runs })) cells.get(bot)!.set(utcDay(cell.from), cell);
    }
  }
  const out = new Map<string, DayCell[]>();
  for (const bot of names) {
    const own = cells.get(bot)!;
    const bar: DayCell[] = [];
    for (let day = first; day <= today; day++) bar.push(own.get(day) ?? { date: dateOf(day), from: day * DAY_MS, worst: null, downMs: 0, knownMs: 0 });
    out.set(bot, bar);
  }
  return out;
}
