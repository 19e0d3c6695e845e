import type { BotStatus } from "../model.ts";

/**
 * When is it the monitor, not the bots, that has a problem? (README, "Alerts": when most checks
 * or most bots of the latest sweep round are `unknown`, one "cannot reach Telegram" alert goes out
 * instead of one per bot.)
 *
 * The rule, over each bot's latest sweep (together: the latest sweep round):
 * - a check "ran" when its status is not `skipped` (a check skipped because its prerequisite was unknown
 *   did not ask Telegram anything, so it neither counts for nor against);
 * - a bot "was swept" when at least one of its checks ran;
 * - Telegram is unreachable when at least `MIN_SWEPT_BOTS` (3) bots were swept AND strictly more than
 *   half of the checks that ran are `unknown`, or strictly more than half of the swept bots are.
 *
 * The floor of 3 bots keeps a small fleet with one flaky bot (1 of 1, or 1 of 2 with a short sweep)
 * from paging as a monitor outage: that is that bot's unknown, which never alerts on its own.
 * Counting checks rather than bots means a bot that got past getMe weighs more than one stopped at
 * its first call; when Telegram is really unreachable every bot stops at its first call and the
 * share of unknown reaches 100% either way.
 */

/** Fewest swept bots for which an unknown majority is read as "the monitor cannot reach Telegram". */
export const MIN_SWEPT_BOTS = 3;

export interface ReachabilityTally {
  /** Bots with at least one check that ran. */
  sweptBots: number;
  /** Bots whose latest sweep had health `unknown`. */
  unknownBots: number;
  /** Checks that ran (not skipped). */
  ranChecks: number;
  /** Of those, `unknown`. */
  unknownChecks: number;
}

/** The counts behind `telegramUnreachable`, also useful for the monitor alert's text. */
export function tallyReachability(statuses: readonly BotStatus[]): ReachabilityTally {
  const tally: ReachabilityTally = { sweptBots: 0, unknownBots: 0, ranChecks: 0, unknownChecks: 0 };
  for (const status of statuses) {
    let ran = 0;
    for (const r of status.checks) {
      if (r.status === "skipped") continue;
      ran += 1;
      if (r.status === "unknown") tally.unknownChecks += 1;
    }
    if (ran === 0) continue;
    tally.sweptBots += 1;
    tally.ranChecks += ran;
    if (status.health === "unknown") tally.unknownBots += 1;
  }
  return tally;
}

/** True when the latest sweep round says the monitor, not the bots, cannot reach Telegram. */
export function telegramUnreachable(statuses: readonly BotStatus[]): boolean {
  const t = tallyReachability(statuses);
  return t.sweptBots >= MIN_SWEPT_BOTS && (t.unknownChecks * 2 > t.ranChecks || t.unknownBots * 2 > t.sweptBots);
}
