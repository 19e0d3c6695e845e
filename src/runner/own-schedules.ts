import type { BotStatus } from "../model.ts";
import type { CheckedBot, CheckOptionsById } from "../check-model.ts";
import { isEnabled, type AnyCheck, type CheckRegistry } from "./define-check.ts";
import { Scheduler } from "./scheduler.ts";

export interface OwnSchedulesOptions {
  /** The registry; the checks with an `ownInterval` (round-trip) get a schedule each. */
  checks: CheckRegistry;
  /** The checks' default options (`config.checks`): a schedule's interval for bots that set none. */
  defaults: CheckOptionsById;
  /** The sweeps' concurrency: live tests get a quarter of it (at least one), each check its own. */
  sweepConcurrency: number;
  /** Runs `check` for bot `name` against its latest status and records it (Monitor.runOwn). */
  run: (name: string, check: AnyCheck, signal: AbortSignal) => Promise<unknown>;
  onError?: (name: string, err: unknown) => void;
  /** Schedule lag per check's schedule (secretary_schedule_lag_seconds{schedule="<check id>"}). */
  observeLag?: (schedule: string, seconds: number) => void;
}

interface OwnSchedule {
  check: AnyCheck;
  scheduler: Scheduler<unknown>;
  /** A bot's interval on this schedule: its own when it overrides the check's (bots[].checks.<id>.interval). */
  intervalOf: (bot: CheckedBot) => number;
}

/**
 * The checks that run on their own interval instead of in every sweep (round-trip), one scheduler
 * each, and which bots are on them. A bot joins after its first sweep, whose verdicts the live test
 * needs (and which its dependencies are read from); from then on it follows its options at once: a
 * changed `interval` moves it, `enabled: false` takes it off. Sweeps carry the last result forward.
 */
export class OwnSchedules {
  private readonly schedules: OwnSchedule[];

  constructor(o: OwnSchedulesOptions) {
    const concurrency = Math.max(1, Math.floor(o.sweepConcurrency / 4));
    this.schedules = o.checks.flatMap((check) => {
      const ownInterval = check.ownInterval;
      if (!ownInterval) return [];
      const intervalMs = ownInterval.call(check, check.optionsFor(o.defaults));
      const scheduler = new Scheduler(
        {
          intervalMs,
          concurrency,
          ...(o.onError && { onError: o.onError }),
          ...(o.observeLag && { observeLag: (seconds: number) => o.observeLag!(check.id, seconds) }),
        },
        (name, signal) => o.run(name, check, signal),
      );
      return [{ check, scheduler, intervalOf: (bot: CheckedBot) => ownInterval.call(check, check.optionsFor(bot.checks)) }];
    });
  }

  /** After a sweep of `bot`: it joins each enabled own-interval check's schedule it is not on yet. */
  onSweep(bot: CheckedBot, status: BotStatus): void {
    for (const { check, scheduler, intervalOf } of this.schedules) {
      if (scheduler.has(bot.name) || !isEnabled(bot, check)) continue;
      const checkedBefore = status.checks.some((c) => c.check === check.id);
      scheduler.add(bot.name, checkedBefore, intervalOf(bot));
    }
  }

  /** `bot`'s options changed: where it is on a schedule already, it follows `enabled` and `interval`. */
  follow(bot: CheckedBot): void {
    for (const { check, scheduler, intervalOf } of this.schedules) {
      if (!scheduler.has(bot.name)) continue;
      if (isEnabled(bot, check)) scheduler.add(bot.name, true, intervalOf(bot));
      else scheduler.remove(bot.name);
    }
  }

  remove(name: string): void {
    for (const { scheduler } of this.schedules) scheduler.remove(name);
  }

  start(): void {
    for (const { scheduler } of this.schedules) scheduler.start();
  }

  /** Stops every schedule (see Scheduler.stop); returns how many live tests had to be cancelled. */
  async stop(deadlineMs: number): Promise<number> {
    const left = await Promise.all(this.schedules.map((s) => s.scheduler.stop(deadlineMs)));
    return left.reduce((a, b) => a + b, 0);
  }
}
