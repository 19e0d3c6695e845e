import type { Health } from "../../model.ts";
import { DAY_MS, intersect, length, utcDay, type Span } from "../../history/spans.ts";
import { coverage, dailyBar, durationsOf, timeline, uptime, worstOf, type DayCell, type Durations, type HealthTransition, type KnownHealth, type Uptime } from "../../history/uptime.ts";
import type { SqliteDatabase } from "./database.ts";
import type { SqliteHistory } from "./history.ts";

/**
 * Daily uptime rollups (after Gatus' hourly `endpoint_uptimes`, but exact): one row per bot and UTC day
 * with that day's known, up and healthy milliseconds, its worst health, the health it started and ended
 * in, and running totals (`cum_*`: every day up to and including this one). A window's full days are
 * then two rows per bot (the running total at its last day minus the one before its first), and only the
 * partial days at its ends are computed from transitions: `/status` for 10,000 bots reads five days of
 * rows, not ninety.
 *
 * A day is rolled up once it is over (rollUp: after midnight UTC, and at start); its transitions and the
 * monitor's runs that day are final by then. Days are additive (test/history/uptime.test.ts), so the sums
 * equal the exact figure.
 */
interface DayRow {
  start: Health | null;
  end: Health | null;
  cumKnown: number;
  cumUp: number;
  cumHealthy: number;
}

/** Rollups this many days behind (the monitor was stopped for days) are not walked day by day. */
const MAX_DAYS_BEHIND = 3;

export class DailyUptime {
  private readonly db: SqliteDatabase;
  private readonly history: SqliteHistory;

  constructor(db: SqliteDatabase, history: SqliteHistory) {
    this.db = db;
    this.history = history;
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
    const previous = this.rowsOf(day - 1);
    const starts = this.startsFrom(previous, day);
    const covered = this.coverageOf(day * DAY_MS, (day + 1) * DAY_MS, now, liveRun);
    const transitions = this.transitionsOf(day * DAY_MS, (day + 1) * DAY_MS);
    const insert = this.db.statement(
      `INSERT INTO daily_uptime (bot, day, known_ms, up_ms, healthy_ms, worst, start_health, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const bot of new Set([...starts.keys(), ...transitions.keys()])) {
      const prev = previous.get(bot);
      const start = starts.get(bot) ?? null;
      const own = transitions.get(bot) ?? [];
      const line = timeline({ from: day * DAY_MS, to: (day + 1) * DAY_MS, before: start === null ? undefined : { at: -Infinity, health: start }, transitions: own, runs: [] }, covered);
      const d = durationsOf(line, DAY_MS);
      insert.run(
        bot, day, d.knownMs, d.upMs, d.healthyMs, worstOf(line.health.map((s) => s.health)), start, own.at(-1)?.health ?? start,
        (prev?.cumKnown ?? 0) + d.knownMs, (prev?.cumUp ?? 0) + d.upMs, (prev?.cumHealthy ?? 0) + d.healthyMs,
      );
    }
  }

  /**
   * Uptime of every bot over each window ending at `now` (window name → length in ms), exact: full days
   * from the rollups' running totals, the partial days at both ends from those days' transitions.
   */
  fleet(now: number, windows: Record<string, number>, liveRun?: number): Map<string, Record<string, Uptime>> {
    const lastRolled = Math.min(this.lastDay() ?? -Infinity, utcDay(now) - 1);
    const rowCache = new Map<number, Map<string, DayRow>>();
    const rows = (day: number) => rowCache.get(day) ?? rowCache.set(day, this.rowsOf(day)).get(day)!;
    const startCache = new Map<number, Map<string, Health | null>>();
    /** Every bot's health at the start of `day`. */
    const startOf = (day: number): Map<string, Health | null> => {
      let starts = startCache.get(day);
      if (starts) return starts;
      if (day <= lastRolled) starts = new Map([...rows(day)].map(([bot, r]) => [bot, r.start]));
      else if (day - 1 <= lastRolled) starts = this.startsFrom(rows(day - 1), day);
      else if (day - 1 - lastRolled <= MAX_DAYS_BEHIND) starts = advance(startOf(day - 1), this.transitionsOf((day - 1) * DAY_MS, day * DAY_MS));
      else starts = this.lastHealthsBefore(day * DAY_MS);
      startCache.set(day, starts);
      return starts;
    };
    const pieces = new Map<string, Map<string, Durations>>();
    const piece = (from: number, to: number) => {
      const key = `${from}:${to}`;
      return pieces.get(key) ?? pieces.set(key, this.piece(from, to, startOf(utcDay(from)), now, liveRun)).get(key)!;
    };
    const out = new Map<string, Record<string, Uptime>>();
    for (const [name, windowMs] of Object.entries(windows)) {
      const from = now - windowMs;
      const firstFull = Math.ceil(from / DAY_MS);
      const parts: Map<string, Durations>[] = [];
      let exactFrom = from;
      if (firstFull <= lastRolled) {
        if (from < firstFull * DAY_MS) parts.push(piece(from, firstFull * DAY_MS));
        parts.push(fullDays(rows(firstFull - 1), rows(lastRolled)));
        exactFrom = (lastRolled + 1) * DAY_MS;
      }
      for (let at = exactFrom; at < now; at = (utcDay(at) + 1) * DAY_MS) parts.push(piece(at, Math.min(now, (utcDay(at) + 1) * DAY_MS)));
      // Summed in place: 10,000 bots × 5 parts, no array or object per bot and part.
      const sums = new Map<string, Durations>();
      for (const part of parts) {
        for (const [bot, d] of part) {
          const sum = sums.get(bot);
          if (!sum) {
            sums.set(bot, { ...d });
            continue;
          }
          sum.knownMs += d.knownMs;
          sum.upMs += d.upMs;
          sum.healthyMs += d.healthyMs;
          sum.downMs += d.downMs;
        }
      }
      for (const [bot, sum] of sums) {
        const record = out.get(bot) ?? out.set(bot, {}).get(bot)!;
        record[name] = uptime({ ...sum, windowMs });
      }
    }
    return out;
  }

  /** Every bot's durations over [from, to), a part of one day starting in `starts`, from its transitions. */
  private piece(from: number, to: number, starts: Map<string, Health | null>, now: number, liveRun?: number): Map<string, Durations> {
    const dayStart = utcDay(from) * DAY_MS;
    const covered = this.coverageOf(from, to, now, liveRun);
    const coveredMs = length(covered);
    const transitions = this.transitionsOf(dayStart, to);
    const out = new Map<string, Durations>();
    for (const [bot, start] of starts) {
      if (transitions.has(bot)) continue;
      // No change that day up to `to`: the health it started the day in, over whatever the monitor saw.
      const knownMs = start === null || start === "unknown" ? 0 : coveredMs;
      out.set(bot, { windowMs: to - from, knownMs, upMs: start === "down" ? 0 : knownMs, healthyMs: start === "healthy" ? knownMs : 0, downMs: start === "down" ? knownMs : 0 });
    }
    for (const [bot, own] of transitions) {
      const start = starts.get(bot) ?? null;
      const before = own.filter((t) => t.at < from).at(-1) ?? (start === null ? undefined : { at: -Infinity, health: start });
      const line = timeline({ from, to, before, transitions: own.filter((t) => t.at >= from), runs: [] }, covered);
      out.set(bot, durationsOf(line, to - from));
    }
    return out;
  }

  /** One bot's bar: a cell per UTC day of the `days` ending today, rolled-up days from rows, the rest exact. */
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

  /**
   * Many bots' bars at once (the page), the same cells as `bar` gives each: the rolled-up days in one read
   * of daily_uptime, the days not rolled up yet (today) from those days' transitions, once for all the
   * bots. `bots`: only these (the page's bots, through the (bot, day) index); otherwise every bot.
   */
  bars(now: number, days: number, bots?: readonly string[], liveRun?: number): Map<string, DayCell[]> {
    const today = utcDay(now);
    const first = today - days + 1;
    const lastRolled = Math.min(this.lastDay() ?? first - 1, today - 1);
    const byDay = new Map<string, Map<number, DayCell>>();
    const dates = new Map<number, string>();
    const dateOf = (day: number) => dates.get(day) ?? dates.set(day, new Date(day * DAY_MS).toISOString().slice(0, 10)).get(day)!;
    const put = (bot: string, day: number, worst: KnownHealth | null, downMs: number, knownMs: number) =>
      (byDay.get(bot) ?? byDay.set(bot, new Map()).get(bot)!).set(day, { date: dateOf(day), from: day * DAY_MS, worst, downMs, knownMs });
    const wanted = bots && new Set(bots);
    if (lastRolled >= first) {
      const columns = "SELECT bot, day, worst, known_ms, up_ms FROM daily_uptime";
      const rows = bots
        ? this.db.arrays(`${columns} WHERE bot IN (SELECT value FROM json_each(?)) AND day >= ? AND day <= ?`, JSON.stringify(bots), first, lastRolled)
        : this.db.arrays(`${columns} WHERE day >= ? AND day <= ?`, first, lastRolled);
      for (const [bot, day, worst, known, up] of rows) put(bot as string, Number(day), worst as KnownHealth | null, Number(known) - Number(up), Number(known));
    }
    const exactFrom = Math.max(first, lastRolled + 1);
    let starts = exactFrom - 1 === lastRolled ? this.startsFrom(this.rowsOf(lastRolled, bots), exactFrom) : this.lastHealthsBefore(exactFrom * DAY_MS);
    for (let day = exactFrom; day <= today; day++) {
      const to = Math.min((day + 1) * DAY_MS, now);
      for (const [bot, d] of this.piece(day * DAY_MS, to, starts, now, liveRun)) {
        if (wanted && !wanted.has(bot)) continue;
        const worst: KnownHealth | null = d.downMs > 0 ? "down" : d.knownMs > d.healthyMs ? "degraded" : d.knownMs > 0 ? "healthy" : null;
        put(bot, day, worst, d.downMs, d.knownMs);
      }
      if (day < today) starts = advance(starts, this.transitionsOf(day * DAY_MS, (day + 1) * DAY_MS));
    }
    const out = new Map<string, DayCell[]>();
    for (const bot of bots ?? byDay.keys()) {
      const cells = byDay.get(bot);
      const bar: DayCell[] = [];
      for (let day = first; day <= today; day++) bar.push(cells?.get(day) ?? { date: dateOf(day), from: day * DAY_MS, worst: null, downMs: 0, knownMs: 0 });
      out.set(bot, bar);
    }
    return out;
  }

  /** The monitor's known time within [from, to); its own live run counts until `now`. */
  private coverageOf(from: number, to: number, now: number, liveRun?: number): Span[] {
    return intersect({ from, to }, coverage(this.history.runs(from, Math.max(to, now), liveRun)));
  }

  /** Healths at the start of `day` from the day before's rows (bots that ended it somewhere). */
  private startsFrom(previous: Map<string, DayRow>, day: number): Map<string, Health | null> {
    if (previous.size === 0 && day > 0) return this.lastHealthsBefore(day * DAY_MS);
    return new Map([...previous].map(([bot, r]) => [bot, r.end]));
  }

  /** Every bot's last health before `at`, from the transitions (no rollups to start from: a scan). */
  private lastHealthsBefore(at: number): Map<string, Health | null> {
    const rows = this.db.arrays(
      `SELECT t.bot, t.health FROM health_transitions t
       JOIN (SELECT bot, MAX(at) AS at FROM health_transitions WHERE at < ? GROUP BY bot) last ON t.bot = last.bot AND t.at = last.at
       ORDER BY t.id`,
      at,
    );
    return new Map(rows.map(([bot, health]) => [bot as string, health as Health]));
  }

  /** Every bot's row of `day`, or only those of `bots`. */
  private rowsOf(day: number, bots?: readonly string[]): Map<string, DayRow> {
    const columns = "SELECT bot, start_health, end_health, cum_known_ms, cum_up_ms, cum_healthy_ms FROM daily_uptime";
    const rows = bots ? this.db.arrays(`${columns} WHERE day = ? AND bot IN (SELECT value FROM json_each(?))`, day, JSON.stringify(bots)) : this.db.arrays(`${columns} WHERE day = ?`, day);
    return new Map(rows.map(([bot, start, end, k, u, h]) => [bot as string, { start: start as Health | null, end: end as Health | null, cumKnown: Number(k), cumUp: Number(u), cumHealthy: Number(h) }]));
  }

  /** Transitions in [from, to), by bot, in time order. */
  private transitionsOf(from: number, to: number): Map<string, HealthTransition[]> {
    const byBot = new Map<string, HealthTransition[]>();
    for (const [bot, at, health] of this.db.arrays("SELECT bot, at, health FROM health_transitions WHERE at >= ? AND at < ? ORDER BY at", from, to)) {
      const list = byBot.get(bot as string) ?? byBot.set(bot as string, []).get(bot as string)!;
      list.push({ at: Number(at), health: health as Health });
    }
    return byBot;
  }
}

/** The healths after a day's transitions. */
function advance(starts: Map<string, Health | null>, transitions: Map<string, HealthTransition[]>): Map<string, Health | null> {
  const next = new Map(starts);
  for (const [bot, list] of transitions) next.set(bot, list.at(-1)!.health);
  return next;
}

/** Durations over the full days after `before`'s day up to `last`'s, from running totals. */
function fullDays(before: Map<string, DayRow>, last: Map<string, DayRow>): Map<string, Durations> {
  const out = new Map<string, Durations>();
  for (const [bot, row] of last) {
    const b = before.get(bot);
    const knownMs = row.cumKnown - (b?.cumKnown ?? 0);
    const upMs = row.cumUp - (b?.cumUp ?? 0);
    out.set(bot, { windowMs: 0, knownMs, upMs, healthyMs: row.cumHealthy - (b?.cumHealthy ?? 0), downMs: knownMs - upMs });
  }
  return out;
}
