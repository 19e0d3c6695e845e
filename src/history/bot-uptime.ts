import { UPTIME_WINDOWS, type WindowUptimes } from "./history.ts";
import { intersect } from "./spans.ts";
import { durationsOf, uptime, type Timeline } from "./uptime.ts";

/** The longest uptime window: one bot's timeline over it answers every window (botUptime). */
export const LONGEST_WINDOW = Math.max(...Object.values(UPTIME_WINDOWS));

/** One bot's uptime over each window ending at `now`, from its timeline over the longest window. */
export function windowUptimes(line: Timeline, now: number): WindowUptimes {
  const out = {} as WindowUptimes;
  for (const [name, windowMs] of Object.entries(UPTIME_WINDOWS) as [keyof WindowUptimes, number][]) {
    const span = { from: now - windowMs, to: now };
    const health = line.health.flatMap((s) => intersect(span, [s]).map((p) => ({ ...p, health: s.health })));
    out[name] = uptime(durationsOf({ health, gaps: [] }, windowMs));
  }
  return out;
}
