import type { Backlog } from "../src/check-model.ts";
import { SECOND } from "../src/config/duration.ts";

/**
 * The webhook check's memory of a bot's pending updates, to tell a stall (nothing consumes them: a dead
 * poller, a backend that accepts nothing) from a busy bot's backlog, which rises and falls. Only the trend
 * tells them apart: a count that goes down at all means something is consuming.
 */

/**
 * The backlog after a sweep that saw `count` updates pending at `now`: none at 0; the same backlog while
 * the count is not lower than the last sweep's (an equal count is nothing consumed); else a new one from now.
 */
export function nextBacklog(before: Backlog | undefined, count: number, now: Date): Backlog | undefined {
  if (count <= 0) return undefined;
  const held = before !== undefined && isBacklog(before) && count >= before.count;
  return { since: held ? before.since : now.toISOString(), count };
}

/**
 * How long `backlog` has stood at `now`, to the second, when that is at least `stalledAfter`. To the
 * second because each sweep reads the clock after its getMe answered: the sweep `stalledAfter` after the
 * backlog's first can read a few milliseconds short of it, and would otherwise wait a whole interval more.
 */
export function stalledFor(backlog: Backlog | undefined, now: Date, stalledAfter: number): number | undefined {
  if (!backlog) return undefined;
  const held = Math.round((now.getTime() - Date.parse(backlog.since)) / SECOND) * SECOND;
  return held >= stalledAfter ? held : undefined;
}

/** A stored memory of this shape; anything else (a hand-edited or foreign state) is no memory at all. */
function isBacklog(b: Backlog): boolean {
  return Number.isSafeInteger(b.count) && b.count > 0 && !Number.isNaN(Date.parse(b.since));
}
