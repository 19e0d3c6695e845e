import type { Health } from "../../model.ts";
import { DAY_MS, utcDay } from "../../history/spans.ts";
import { coverage, dailyBar, uptime, type DayCell, type KnownHealth, type Uptime } from "../../history/uptime.ts";
import type { SqliteDatabase } from "./database.ts";
import { BotNames, emptyDay, readDayTransitions, readFleetDay, writeFleetDay, type CallIds, type FleetDay } from "./fleet-days.ts";
import { CoveredTime, NONE, Tally, healthCode, healthOf, tallyPass, transitionsFrom, worstHealth, type Transitions } from "./health-pass.ts";
import type { SqliteHistory } from "./history.ts";
import { fleetBars } from "./fleet-bars.ts";

/**
 * Daily uptime rollups (after Gatus' hourly `endpoint_uptimes`, but exact): one row per bot and UTC day
 * with that day's known, up and healthy milliseconds, its worst health, the health it started and ended
 * in, and running totals (`cum_*`: every day up to and including this one); and the same running totals
 * and end healths of the whole fleet packed in one row per day (`fleet_uptime`, migration 003).
 *
 * A window [from, now) is then, per bot, exactly: the running total at the last rolled-up day, minus the
 * one at the end of the day before `from`'s day, minus the part of `from`'s day before `from`, plus the
 * time since the last rolled-up day. Only those two pieces are computed from transitions, in one pass
 * each over their transitions into typed arrays (health-pass.ts), and the piece since the last rolled-up
 * day is shared by every window: `/status` for 10,000 bots reads five packed rows and two or three
 * days' worth of transitions, and makes no object per bot until the answer.
 *
 * A day is rolled up once it is over (rollUp: after midnight UTC, and at start); its transitions and the
 * monitor's runs that day are final by then. Days are additive (test/history/uptime.test.ts) and every
 * figure is an integer of milliseconds, so the sums equal the exact figure.
 */

/** Rollups this many days behind (the monitor was stopped for days) are not walked through to a window's start. */
const MAX_DAYS_BEHIND = 3;

export class DailyUptime {
  private readonly db: SqliteDatabase;
  private readonly history: SqliteHistory;
  private readonly names: BotNames;

  constructor(db: SqliteDatabase, history: SqliteHistory) {
    this.db = db;
    this.history = history;
    this.names = new BotNames(db);
  }

  /** The last rolled-up day, or undefined. */
  lastDay(): number | undefined {
    return this.db.get<{ day: number | null }>("SELECT MAX(day) AS day FROM daily_uptime")?.day ?? undefined;
  }

  /** Rolls up every day that ended before `now` and is not rolled up yet, a transaction per day. Returns how many. */
  rollUp(now: number, liveRun?: number): number {
    const last = this.lastDay();
    const first = last === undefined ? this.db.get<{ at: number | null }>("SELECT MIN(at) AS at FROM health_transitions")?.at : undefined;
    let day = last !== undefined ? last + 1 : first != null ? utcDay(first) : undefined;
    if (day === undefined) return 0;
    let rolled = 0;
    for (; day < utcDay(now); day++, rolled++) {
      const d = day;
      this.db.transaction(() => this.rollDay(d, now, liveRun));
    }
    return rolled;
  }

  private rollDay(day: number, now: number, liveRun?: number): void {
    const from = day * DAY_MS;
    const to = from + DAY_MS;
    const ids = this.names.ids();
    const previous = readFleetDay(this.db, day - 1, ids);
    const starts = previous?.end ?? this.lastHealthsBefore(from, ids);
    const transitions = this.transitionsOf(from, to, ids);
    const bots = ids.size;
    const tally = new Tally(bots);
    const worst = new Int8Array(bots).fill(-1);
    const end = tallyPass({ starts, transitions, countFrom: from, to, covered: this.coveredTime(from, to, now, liveRun), into: tally, sign: 1, worst });
    const totals = emptyDay(bots);
    const insert = this.db.statement(
      `INSERT INTO daily_uptime (bot, day, known_ms, up_ms, healthy_ms, worst, start_health, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let bot = 0; bot < bots; bot++) {
      totals.known[bot] = (previous?.known[bot] ?? 0) + tally.known[bot]!;
      totals.up[bot] = (previous?.up[bot] ?? 0) + tally.up[bot]!;
      totals.healthy[bot] = (previous?.healthy[bot] ?? 0) + tally.healthy[bot]!;
      // A bot that is neither known at the day's start nor changed that day has no row (and no health yet).
      if (end[bot] === NONE) continue;
      totals.end[bot] = end[bot]!;
      insert.run(
        ids.name(bot), day, tally.known[bot]!, tally.up[bot]!, tally.healthy[bot]!, worstHealth(worst[bot]!), healthOf(starts[bot] ?? NONE), healthOf(end[bot]!),
        totals.known[bot]!, totals.up[bot]!, totals.healthy[bot]!,
      );
    }
    this.names.save(ids);
    writeFleetDay(this.db, day, totals, transitions);
  }

  /**
   * Uptime of every bot over each window ending at `now` (window name → length in ms), exact: the
   * running totals of two rolled-up days, less the piece of the first day before the window, plus the
   * time since the last rolled-up day, both from their transitions.
   */
  fleet(now: number, windows: Record<string, number>, liveRun?: number): Map<string, Record<string, Uptime>> {
    const last = this.lastDay();
    const rolled = last === undefined ? undefined : Math.min(last, utcDay(now) - 1);
    const ids = this.names.ids();
    const days = new Map<number, FleetDay | undefined>();
    const dayOf = (day: number) => (days.has(day) ? days.get(day) : days.set(day, readFleetDay(this.db, day, ids)).get(day));
    const reads = new Map<string, Transitions>();
    const transitionsOf = (from: number, to: number) => reads.get(`${from}:${to}`) ?? reads.set(`${from}:${to}`, this.transitionsOf(from, to, ids)).get(`${from}:${to}`)!;

    // First every read (each may number new bots), then the arithmetic over arrays of the final size.
    const sinceRolled = rolled === undefined ? undefined : (rolled + 1) * DAY_MS;
    const plans = Object.entries(windows).map(([name, windowMs]) => {
      const from = now - windowMs;
      const first = utcDay(from);
      if (rolled !== undefined && first <= rolled) {
        // Running totals from the end of the day before `first` to the end of `rolled`, less [first's start, from).
        return { name, windowMs, from, totals: { last: dayOf(rolled), before: dayOf(first - 1) }, lead: { starts: dayOf(first - 1)?.end, transitions: readDayTransitions(this.db, first) ?? transitionsOf(first * DAY_MS, from), from: first * DAY_MS } };
      }
      // No rolled-up day in the window: walk from the last rolled-up day, or from the last health before it.
      const walk = sinceRolled !== undefined && from - sinceRolled <= MAX_DAYS_BEHIND * DAY_MS;
      const scanFrom = walk ? sinceRolled : from;
      return { name, windowMs, from, scan: { scanFrom, starts: walk ? dayOf(rolled!)?.end : this.lastHealthsBefore(from, ids), transitions: transitionsOf(scanFrom, now) } };
    });
    const tail = sinceRolled === undefined || sinceRolled >= now ? undefined : { starts: dayOf(rolled!)?.end, transitions: transitionsOf(sinceRolled, now) };
    const earliest = Math.min(now, ...plans.map((p) => p.lead?.from ?? p.scan!.scanFrom));
    const covered = this.coveredTime(earliest, now, now, liveRun);

    const bots = ids.size;
    const present = new Uint8Array(bots);
    const pass = (starts: Uint8Array | undefined, transitions: Transitions, countFrom: number, to: number, into: Tally, sign: 1 | -1) => {
      const end = tallyPass({ starts: starts ?? new Uint8Array(0), transitions, countFrom, to, covered, into, sign });
      for (let bot = 0; bot < bots; bot++) if (end[bot] !== NONE) present[bot] = 1;
    };
    const sinceTally = new Tally(bots);
    if (tail) pass(tail.starts, tail.transitions, sinceRolled!, now, sinceTally, 1);
    const tallies = plans.map((plan) => {
      const tally = new Tally(bots);
      if (plan.totals) {
        const { last: at, before } = plan.totals;
        for (let bot = 0; bot < bots; bot++) {
          if ((at?.end[bot] ?? NONE) !== NONE) present[bot] = 1;
          tally.known[bot] = (at?.known[bot] ?? 0) - (before?.known[bot] ?? 0) + sinceTally.known[bot]!;
          tally.up[bot] = (at?.up[bot] ?? 0) - (before?.up[bot] ?? 0) + sinceTally.up[bot]!;
          tally.healthy[bot] = (at?.healthy[bot] ?? 0) - (before?.healthy[bot] ?? 0) + sinceTally.healthy[bot]!;
        }
        pass(plan.lead.starts, plan.lead.transitions, plan.lead.from, plan.from, tally, -1);
      } else pass(plan.scan!.starts, plan.scan!.transitions, plan.from, now, tally, 1);
      return tally;
    });

    const out = new Map<string, Record<string, Uptime>>();
    for (let bot = 0; bot < bots; bot++) {
      if (!present[bot]) continue;
      const record: Record<string, Uptime> = {};
      plans.forEach((plan, i) => {
        const t = tallies[i]!;
        const knownMs = t.known[bot]!;
        record[plan.name] = uptime({ windowMs: plan.windowMs, knownMs, upMs: t.up[bot]!, healthyMs: t.healthy[bot]!, downMs: knownMs - t.up[bot]! });
      });
      out.set(ids.name(bot), record);
    }
    return out;
  }

  /** One bot's bar: a cell per UTC day of the `days` ending today, rolled-up days from rows, the rest exact. */
  /** Many bots' bars at once (the page): see fleet-bars.ts. */
  bars(now: number, days: number, bots?: readonly string[], liveRun?: number): Map<string, DayCell[]> {
    return fleetBars(this.db, this.history, this.lastDay(), now, days, bots, liveRun);
  }

  bar(bot: string, now: number, days: number, liveRun?: number): DayCell[] {
    const today = utcDay(now);
    const first = today - days + 1;
    const cell = (day: number, worst: KnownHealth | null, downMs: number, knownMs: number): DayCell => ({ date: new Date(day * DAY_MS).toISOString().slice(0, 10), from: day * DAY_MS, worst, downMs, knownMs });
    const rolled = new Map(
      this.db
        .arrays("SELECT day, worst, known_ms, up_ms FROM daily_uptime WHERE bot = ? AND day >= ? AND day < ?", bot, first, today)
        .map(([day, worst, known, up]) => [Number(day), cell(Number(day), worst as KnownHealth | null, Number(known) - Number(up), Number(known))]),
    );
    const from = (Math.max(first - 1, ...rolled.keys()) + 1) * DAY_MS;
    const exact = new Map(dailyBar({ from, to: now, ...this.history.botWindow(bot, from, now, liveRun) }).map((c) => [utcDay(c.from), c]));
    const cells: DayCell[] = [];
    for (let day = first; day <= today; day++) cells.push(rolled.get(day) ?? exact.get(day) ?? cell(day, null, 0, 0));
    return cells;
  }

  /** The monitor's known time as a function, over [from, to); its own live run counts until `now`. */
  private coveredTime(from: number, to: number, now: number, liveRun?: number): CoveredTime {
    return new CoveredTime(coverage(this.history.runs(from, Math.max(to, now), liveRun)));
  }

  /** Every bot's last health before `at`, from the transitions (no rollups to start from: a scan). */
  private lastHealthsBefore(at: number, ids: CallIds): Uint8Array {
    const rows = this.db.arrays(
      `SELECT t.bot, t.health FROM health_transitions t
       JOIN (SELECT bot, MAX(at) AS at FROM health_transitions WHERE at < ? GROUP BY bot) last ON t.bot = last.bot AND t.at = last.at
       ORDER BY t.id`,
      at,
    );
    const numbered = rows.map(([bot, health]) => [ids.id(bot as string), healthCode(health as Health)] as const);
    const starts = new Uint8Array(ids.size);
    for (const [bot, code] of numbered) starts[bot] = code;
    return starts;
  }

  /** Transitions in [from, to), in time order (health_transitions_by_time covers it). */
  private transitionsOf(from: number, to: number, ids: CallIds): Transitions {
    return transitionsFrom(this.db.arrays("SELECT bot, at, health, id FROM health_transitions WHERE at >= ? AND at < ? ORDER BY at, bot", from, to), ids);
  }
}
