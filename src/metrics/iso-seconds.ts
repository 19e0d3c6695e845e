/**
 * An ISO time as the text of its Unix seconds, as `${Date.parse(iso) / 1000}` writes them
 * (`2026-12-02T21:51:46.120Z` → `1796248306.12`), without Date.parse or a float's formatting.
 *
 * Why: secretary_check_last_run_timestamp_seconds writes one per check and bot (110,000 at 10,000
 * bots), each result's time its own string; Date.parse and number-to-text were a quarter of a scrape.
 * Our results' times all come from toISOString (24 characters, milliseconds, Z): those are read
 * digit by digit, the day's start computed once per day; anything else goes through Date.parse.
 */

/** The fraction as JavaScript writes it: ".12" for 120 ms, ".005" for 5, "" for 0. */
const FRACTIONS = Array.from({ length: 1000 }, (_, ms) => (ms === 0 ? "" : `.${String(ms).padStart(3, "0").replace(/0+$/, "")}`));

let lastDayKey = -1;
let lastDaySeconds = 0;

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/** True when `iso` has toISOString's shape: YYYY-MM-DDTHH:MM:SS.mmmZ (digits where digits go). */
function isIsoShape(iso: string): boolean {
  if (iso.length !== 24 || iso.charCodeAt(23) !== 90 /* Z */ || iso.charCodeAt(10) !== 84 /* T */) return false;
  for (let i = 0; i < 23; i++) {
    const c = iso.charCodeAt(i);
    const separator = i === 4 || i === 7 ? 45 : i === 13 || i === 16 ? 58 : i === 19 ? 46 : i === 10 ? 84 : 0;
    if (separator ? c !== separator : c < 48 || c > 57) return false;
  }
  return true;
}

export function isoSecondsText(iso: string): string {
  const parsed = isIsoShape(iso) ? readIso(iso) : undefined;
  return parsed ?? `${Date.parse(iso) / 1000}`;
}

/** The text, or undefined for fields out of range (month 13, 31 November, hour 24): Date.parse decides those. */
function readIso(iso: string): string | undefined {
  const hours = two(iso, 11);
  const minutes = two(iso, 14);
  const secs = two(iso, 17);
  if (hours > 23 || minutes > 59 || secs > 59) return undefined;
  const year = digit(iso, 0) * 1000 + digit(iso, 1) * 100 + two(iso, 2);
  const month = two(iso, 5);
  const day = two(iso, 8);
  const dayKey = year * 10_000 + month * 100 + day;
  if (dayKey !== lastDayKey) {
    const start = Date.UTC(year, month - 1, day);
    // Date.UTC rolls 31 November over into December; the ISO text means no such day.
    if (month < 1 || month > 12 || day < 1 || new Date(start).getUTCDate() !== day || year < 1970) return undefined;
    lastDayKey = dayKey;
    lastDaySeconds = start / 1000;
  }
  return `${lastDaySeconds + hours * 3600 + minutes * 60 + secs}${FRACTIONS[digit(iso, 20) * 100 + two(iso, 21)]!}`;
}
