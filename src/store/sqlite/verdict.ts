import { createHash } from "node:crypto";

/**
 * What of a bot's result is its verdict: health, since, and each check's status, advice and, unless the
 * check passed, its message. A result whose verdict did not change is not written at once (README,
 * "Storage and history"): the sweep's times, durations and observations (`checkedAt`, a check's `at`,
 * `durationMs`, `latencyMs`, `observed`) and a passing check's message ("3 updates pending", a count that
 * moves on every sweep of a busy bot) are bookkeeping: memory has them at once, the disk with the next
 * verdict change. What the checks remember across sweeps (`observed.remembered`, each entry a condition and
 * its `since`: a stall's start) is verdict once the condition has stood `REMEMBERED_AFTER_MS`, and then only
 * its start: a restart that lost it would start the stall over. Before that it is bookkeeping, or a busy
 * bot's backlog, rising and falling by the sweep, would write its row every sweep; a crash then delays a
 * stall's verdict by at most that long (a stop writes every remembered row: `flush({ remembered })`).
 */
export function verdictOf(result: unknown): string {
  const r = result as { health?: unknown; since?: unknown; checkedAt?: unknown; checks?: unknown; observed?: { remembered?: unknown } };
  const checks = Array.isArray(r.checks)
    ? r.checks.map((c: Record<string, unknown>) => {
        const { at: _at, durationMs: _d, latencyMs: _l, message, ...verdict } = c;
        return c.status === "ok" ? verdict : { ...verdict, message };
      })
    : r.checks;
  return JSON.stringify({ health: r.health, since: r.since, checks, remembered: standing(r.observed?.remembered, r.checkedAt) });
}

/**
 * The results whose checks remember something: a store writes their rows when it closes, so a restart
 * loses no young stall's start (one that has not stood the minute that makes it verdict).
 */
export function remembering(results: ReadonlyMap<string, unknown>): string[] {
  return [...results].flatMap(([bot, r]) => ((r as { observed?: { remembered?: unknown } }).observed?.remembered === undefined ? [] : [bot]));
}

/**
 * A remembered condition's start is written once it has stood this long: half the default stalledAfter, so a
 * crash costs a stall at most that much of its count, while a busy bot's backlog, which holds or rises for
 * a sweep or two before something consumes it, writes nothing (at a 60 s interval, one that held two sweeps
 * wrote four rows in five sweeps with a minute here: `npx node bench/store-writes.ts 60 1000 --busy=0.05`).
 */
export const REMEMBERED_AFTER_MS = 150_000;

/** The starts of the remembered conditions that stood `REMEMBERED_AFTER_MS` by the result's `checkedAt`. */
function standing(remembered: unknown, checkedAt: unknown): Record<string, unknown> | undefined {
  if (typeof remembered !== "object" || remembered === null) return undefined;
  const at = typeof checkedAt === "string" ? Date.parse(checkedAt) : NaN;
  const starts = Object.entries(remembered as Record<string, { since?: unknown }>).flatMap(([key, entry]) => {
    const since = typeof entry?.since === "string" ? Date.parse(entry.since) : NaN;
    return Number.isNaN(since) || !(at - since >= REMEMBERED_AFTER_MS) ? [] : [[key, entry.since] as const];
  });
  return starts.length > 0 ? Object.fromEntries(starts) : undefined;
}

/**
 * What of an alert state is written at once: everything but the length of a firing alert's bad streak.
 * A firing bot's streak grows with every sweep (2,000 broken bots of 10,000 would write a row each a
 * minute), and nothing depends on its length once the alert fires: the firing, its severity and what was
 * told are kept, and the streak's start is `firing.since`. After a restart the count of failing sweeps a
 * firing alert shows goes on from the one stored when something else last changed.
 */
export function alertVerdictOf(state: unknown): string {
  const s = state as { firing?: unknown; badStreak?: unknown };
  return JSON.stringify(s.firing ? { ...s, badStreak: "firing" } : s);
}

/**
 * What tells an unchanged put, on either engine: a digest of what would be written at once (a result's
 * verdict, an alert state but a firing streak's length, any other record whole). A digest, not the text:
 * 10,000 results' verdicts are ~10 MB of strings.
 */
export function rowFingerprint(slice: string, value: unknown): string {
  const text = slice === "results" ? verdictOf(value) : slice === "alerts" ? alertVerdictOf(value) : JSON.stringify(value);
  return createHash("sha1").update(text).digest("base64");
}
