import type { Health } from "../model.ts";
import { DAY_MS, utcDay } from "./spans.ts";
import { coverage, type KnownHealth } from "./uptime.ts";
import { emptyDay, packFleetDay, readFleetDay, type BotNames } from "./fleet-day.ts";
import { lastHealthsBefore } from "./fleet-uptime.ts";
import { CoveredTime, NONE, Tally, healthOf, tallyPass, transitionsFrom, worstHealth } from "./health-pass.ts";
import { ask, type PackedDay, type Reads } from "./stored-rows.ts";

/**
 * The daily rollup (after Gatus' hourly `endpoint_uptimes`, but exact), on either engine: one row per
 * bot and UTC day with that day's known, up and healthy milliseconds, its worst health, the health it
 * started and ended in, and running totals (`cum_*`: every day up to and including this one); and the
 * same running totals and end healths of the whole fleet packed in one row per day (`fleet_uptime`,
 * migration 003). A day is rolled up once it is over; its transitions and the monitor's runs that day
 * are final by then. Days are additive and every figure is an integer of milliseconds, so the sums
 * equal the exact figure. The engine writes what `rollDay` computes, in one transaction per day.
 */

/** A daily_uptime row. */
export interface DailyRow {
  bot: string;
  day: number;
  knownMs: number;
  upMs: number;
  healthyMs: number;
  worst: KnownHealth | null;
  startHealth: Health | null;
  endHealth: Health | null;
  cumKnownMs: number;
  cumUpMs: number;
  cumHealthyMs: number;
}

/** What rolling up one day writes: its daily rows, the bots numbered for the first time, its packed row. */
export interface DayRollup {
  day: number;
  rows: DailyRow[];
  newBots: [number, string][];
  fleet: PackedDay & { transitions: Uint8Array };
}

/** The first day not rolled up yet (the day after the last rolled up, or the first transition's), or undefined. */
export function* firstDayToRollUp(): Reads<number | undefined> {
  const last = yield* ask("lastRolledDay");
  if (last !== undefined) return last + 1;
  const first = yield* ask("firstTransitionAt");
  return first !== undefined ? utcDay(first) : undefined;
}

/** Rolls up `day` (over before `now`). */
export function* rollDay(names: BotNames, day: number, now: number): Reads<DayRollup> {
  const from = day * DAY_MS;
  const to = from + DAY_MS;
  const ids = yield* names.ids();
  const previous = yield* readFleetDay(day - 1, ids);
  const starts = previous?.end ?? (yield* lastHealthsBefore(from, ids));
  const transitions = transitionsFrom(yield* ask("transitions", from, to), ids);
  const covered = new CoveredTime(coverage(yield* ask("runs", from, Math.max(to, now))));
  const bots = ids.size;
  const tally = new Tally(bots);
  const worst = new Int8Array(bots).fill(-1);
  const end = tallyPass({ starts, transitions, countFrom: from, to, covered, into: tally, sign: 1, worst });
  const totals = emptyDay(bots);
  const rows: DailyRow[] = [];
  for (let bot = 0; bot < bots; bot++) {
    totals.known[bot] = (previous?.known[bot] ?? 0) + tally.known[bot]!;
    totals.up[bot] = (previous?.up[bot] ?? 0) + tally.up[bot]!;
    totals.healthy[bot] = (previous?.healthy[bot] ?? 0) + tally.healthy[bot]!;
    // A bot that is neither known at the day's start nor changed that day has no row (and no health yet).
    if (end[bot] === NONE) continue;
    totals.end[bot] = end[bot]!;
    rows.push({
      bot: ids.name(bot), day, knownMs: tally.known[bot]!, upMs: tally.up[bot]!, healthyMs: tally.healthy[bot]!, worst: worstHealth(worst[bot]!),
      startHealth: healthOf(starts[bot] ?? NONE), endHealth: healthOf(end[bot]!), cumKnownMs: totals.known[bot]!, cumUpMs: totals.up[bot]!, cumHealthyMs: totals.healthy[bot]!,
    });
  }
  return { day, rows, newBots: ids.added(), fleet: packFleetDay(totals, day, transitions) };
}
