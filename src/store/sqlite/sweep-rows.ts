import type { SqliteDatabase } from "./database.ts";

/** What a result holds of its last sweep's times (the rest of the status is opaque here). */
interface Swept {
  checkedAt: string;
  checks?: unknown;
}

/** A bot's last sweep time in `bot_sweeps` (migration 002): all the bookkeeping batch writes per bot. */
export function upsertSweep(db: SqliteDatabase, bot: string, checkedAt: string): void {
  const ms = Date.parse(checkedAt);
  if (Number.isNaN(ms)) throw new Error(`result of bot ${bot}: checkedAt ${JSON.stringify(checkedAt)} is not a time`);
  db.run("INSERT INTO bot_sweeps (bot, checked_at) VALUES (?, ?) ON CONFLICT (bot) DO UPDATE SET checked_at = excluded.checked_at", bot, ms);
}

/**
 * A bot's status as its verdict row holds it, brought to the last sweep of `bot_sweeps` (`sweptAt`, epoch
 * ms; null when the bot has no row there). The verdict row's checks keep their status, message and
 * durations, but their `at` times are those of the sweep that last changed the verdict, which may be
 * hours old: the page's "checked … ago" would then be wrong after a restart. Every check runs in every
 * sweep, so each `at` is moved forward by as much as `checkedAt` was (keeping the checks' offsets within
 * the sweep): the times `/status` shows are those of the last sweep, give or take a check's duration.
 */
export function withSweep<R extends Swept>(status: R, sweptAt: number | null): R {
  if (sweptAt === null) return status;
  const shift = sweptAt - Date.parse(status.checkedAt);
  if (!(shift > 0)) return status; // the verdict row is the last sweep (it refreshes bot_sweeps when written)
  const checks = Array.isArray(status.checks)
    ? status.checks.map((c: Record<string, unknown>) => (typeof c.at === "string" ? { ...c, at: new Date(Date.parse(c.at) + shift).toISOString() } : c))
    : status.checks;
  return { ...status, checkedAt: new Date(sweptAt).toISOString(), checks };
}
