import cron, { type ScheduledTask } from "node-cron";
import { instantOf, nextDay, wallTime, type WallTime } from "./zoned-time.ts";

/**
 * When a node-cron expression fires in a time zone: the latest occurrence at or before an instant, and
 * the next one after it. node-cron can say when a running task fires next from the real clock, but not
 * when it last fired, nor either for a given time, which a monitor starting in the middle of a window
 * needs. So node-cron parses the expression and decides which calendar days match (its own matcher,
 * run in UTC so that no clock change gets in the way: `L`, `W`, `#`, day-of-week 7 = Sunday and its
 * rule that day of month and day of week must both hold), and this walks those days' times of day in
 * the zone.
 *
 * Clock changes: every wall-clock time the expression names is one occurrence. A time the clock skips
 * (02:30 on the night summer time begins) occurs when the clock jumps over it (03:00 summer time); a
 * time the clock reads twice (02:30 on the night it ends) occurs the first time only.
 */
export class CronOccurrences {
  /** Seconds of the day the expression fires at, ascending. */
  private readonly times: number[];
  private readonly dayMatcher: ScheduledTask;
  readonly expression: string;
  readonly timeZone: string;

  /** Throws node-cron's error for an expression it does not accept. */
  constructor(expression: string, timeZone: string) {
    this.expression = expression;
    this.timeZone = timeZone;
    const fields = cron.parse(expression);
    this.times = fields.hour
      .flatMap((h) => fields.minute.flatMap((m) => fields.second.map((s) => h * 3600 + m * 60 + s)))
      .sort((a, b) => a - b);
    // Never started: only its matcher is used, so it is taken out of node-cron's task list at once.
    this.dayMatcher = cron.createTask(expression, () => undefined, { timezone: "UTC" });
    void this.dayMatcher.destroy();
  }

  /** The latest occurrence at or before `at`, if one began at or after `notBefore` (ms since the epoch). */
  latestStart(at: number, notBefore: number): number | null {
    for (let day = wallTime(at, this.timeZone); ; day = nextDay(day, -1)) {
      const dayStart = instantOf({ ...day, secondOfDay: 0 }, this.timeZone);
      if (this.matchesDay(day)) {
        const i = this.lastIndex(day, (t) => t <= at);
        if (i >= 0) {
          const start = this.instant(day, i);
          return start >= notBefore ? start : null;
        }
      }
      if (dayStart < notBefore) return null;
    }
  }

  /** The first occurrence after `at`; null when there is none within `horizonDays` days. */
  nextStart(at: number, horizonDays = MAX_GAP_DAYS): number | null {
    let day = wallTime(at, this.timeZone);
    for (let n = 0; n <= horizonDays; n++, day = nextDay(day)) {
      if (!this.matchesDay(day)) continue;
      const i = this.lastIndex(day, (t) => t <= at) + 1;
      if (i < this.times.length) return this.instant(day, i);
    }
    return null;
  }

  private matchesDay(day: WallTime): boolean {
    const first = this.times[0]!;
    return this.dayMatcher.match(new Date(Date.UTC(day.year, day.month - 1, day.day) + first * 1000));
  }

  private instant(day: WallTime, i: number): number {
    return instantOf({ ...day, secondOfDay: this.times[i]! }, this.timeZone);
  }

  /** The last index of the day's times whose instant satisfies `before` (-1: none); instants never decrease. */
  private lastIndex(day: WallTime, before: (instant: number) => boolean): number {
    let lo = -1;
    let hi = this.times.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (before(this.instant(day, mid))) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

/** The longest a valid expression can go without firing: 29 February on one day of the week, 28 years. */
export const MAX_GAP_DAYS = 28 * 366 + 7;
