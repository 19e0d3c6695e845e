import { DAY_MS, utcDay } from "./spans.ts";
import { dailyBar, type DayCell, type HealthTransition, type KnownHealth } from "./uptime.ts";
import { ask, type Reads } from "./stored-rows.ts";

/**
 * The 90-day bars from the rollups, on either engine (README, "Storage and history"): a cell per UTC day,
 * the rolled-up days from their `daily_uptime` rows, the days not rolled up yet (today, or a few when the
 * monitor was stopped across midnight) exactly from their transitions. Each cell equals dailyBar()'s.
 */

const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const cell = (day: number, worst: KnownHealth | null, downMs: number, knownMs: number, date = dateOf(day)): DayCell => ({ date, from: day * DAY_MS, worst, downMs, knownMs });

/** One bot's bar of the `days` ending today. */
export function* botBar(bot: string, now: number, days: number): Reads<DayCell[]> {
  const today = utcDay(now);
  const first = today - days + 1;
  const rolled = new Map((yield* ask("dayCells", [bot], first, today - 1)).map(([, day, worst, known, up]) => [day, cell(day, worst, known - up, known)]));
  const from = (Math.max(first - 1, ...rolled.keys()) + 1) * DAY_MS;
  const exact = new Map(dailyBar({ from, to: now, ...(yield* ask("botWindow", bot, from, now)) }).map((c) => [utcDay(c.from), c]));
  const cells: DayCell[] = [];
  for (let day = first; day <= today; day++) cells.push(rolled.get(day) ?? exact.get(day) ?? cell(day, null, 0, 0));
  return cells;
}

/**
 * Many bots' bars at once (the page's bots), the same cells as `botBar` gives each: the rolled-up days
 * in one read, the days not rolled up yet from those days' transitions, read in one query for all the
 * bots. Without `bots`, every bot with history.
 */
export function* fleetBars(now: number, days: number, bots?: readonly string[]): Reads<Map<string, DayCell[]>> {
  const today = utcDay(now);
  const first = today - days + 1;
  const lastRolled = Math.min((yield* ask("lastRolledDay")) ?? first - 1, today - 1);
  const names = bots ?? (yield* ask("botsWithHistory"));
  const dates = new Map<number, string>();
  const dateOnce = (day: number) => dates.get(day) ?? dates.set(day, dateOf(day)).get(day)!;
  const cells = new Map<string, Map<number, DayCell>>(names.map((bot) => [bot, new Map()]));
  if (lastRolled >= first) {
    for (const [bot, day, worst, known, up] of yield* ask("dayCells", names, first, lastRolled)) cells.get(bot)?.set(day, cell(day, worst, known - up, known, dateOnce(day)));
  }
  const exactFrom = Math.max(first, lastRolled + 1) * DAY_MS;
  if (exactFrom < now) {
    const runs = yield* ask("runs", exactFrom, now);
    const transitions = new Map<string, HealthTransition[]>();
    for (const [bot, at, health] of yield* ask("transitionsOf", names, exactFrom, now)) {
      const list = transitions.get(bot) ?? transitions.set(bot, []).get(bot)!;
      list.push({ at, health });
    }
    const before = yield* ask("lastTransitionsBefore", names, exactFrom);
    for (const bot of names) {
      const own = transitions.get(bot) ?? [];
      if (!before.has(bot) && own.length === 0) continue;
      for (const c of dailyBar({ from: exactFrom, to: now, before: before.get(bot), transitions: own, runs })) cells.get(bot)!.set(utcDay(c.from), c);
    }
  }
  const out = new Map<string, DayCell[]>();
  for (const bot of names) {
    const own = cells.get(bot)!;
    const bar: DayCell[] = [];
    for (let day = first; day <= today; day++) bar.push(own.get(day) ?? cell(day, null, 0, 0, dateOnce(day)));
    out.set(bot, bar);
  }
  return out;
}
