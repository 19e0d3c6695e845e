/**
 * Wall-clock time in an IANA time zone, to the second, read with the platform's Intl (its tz database):
 * what a recurring maintenance window needs to turn "02:30 on Sundays in Europe/Berlin" into instants.
 */

const DAY_MS = 86_400_000;

/** A zone's wall clock at one instant. `month` 1–12; `secondOfDay` 0–86399. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  secondOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the platform knows `timeZone` (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `timeZone` at `at` (ms since the epoch). */
export function wallTime(at: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, secondOfDay: parts.hour! * 3600 + parts.minute! * 60 + parts.second! };
}

/** The wall clock read as if it were UTC, in ms: its difference from the instant is the zone's offset. */
function wallAsUtc(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day) + w.secondOfDay * 1000;
}

/** The zone's offset from UTC at `at`, in ms (whole seconds). */
function offsetAt(at: number, timeZone: string): number {
  const whole = Math.floor(at / 1000) * 1000;
  return wallAsUtc(wallTime(whole, timeZone)) - whole;
}

/**
 * The instant the zone's clock reads `w`. Where the clock reads it twice (the hour repeated when summer
 * time ends), the first; where it never does (the hour skipped when summer time begins), the instant
 * the clock jumps over it. So the mapping never goes backwards: a later wall time is never an earlier
 * instant, which lets callers search a day's times in order.
 */
export function instantOf(w: WallTime, timeZone: string): number {
  const guess = wallAsUtc(w);
  // One offset before and one after any change near this day (zones change at most once a day).
  const before = offsetAt(guess - DAY_MS, timeZone);
  const after = offsetAt(guess + DAY_MS, timeZone);
  const reads = [guess - before, guess - after].filter((t) => offsetAt(t, timeZone) === guess - t).sort((a, b) => a - b);
  if (reads.length > 0) return reads[0]!;
  // Skipped: the clock jumps somewhere between reading `w` under the old offset and under the new one.
  let lo = guess - after;
  let hi = guess - before;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The calendar day after `w`'s (its time of day kept). */
export function nextDay(w: WallTime, by = 1): WallTime {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + by));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), secondOfDay: w.secondOfDay };
}
