import type { ServiceHistory } from "../store/open-service-store.ts";
import type { WallStep, WallSteps } from "../wall-steps.ts";

/**
 * The history's times are wall-clock times (what people read, and what survives a restart), and its
 * arithmetic (uptime, incident lengths, day rollups) assumes they only move forward. A wall-clock step
 * breaks that in two ways; this wraps the store's history so that neither reaches it (README, "Storage
 * and history": the gap is a gap):
 *
 * - **Forward** (a VM resumed, NTP corrected a clock that was behind): the wall hour stepped over was
 *   never watched. The run is ended where the clock last read before the step and a new one begun where
 *   it reads after it, so that hour is a gap, as between a stop and a start, and counts neither up nor down.
 * - **Backward** (NTP corrected a clock that was ahead): the wall hour the clock goes back over was
 *   watched already and has its transitions. Every time recorded from then on is held at the latest time
 *   the clock had read (the high-water mark: the latest recorded, or where the clock would read without
 *   the step) until the clock passes it again, so nothing lands before what is
 *   already there: no span of negative length, no incident that ends before it fired, no transition
 *   slipped into a day that was rolled up. What happens in that hour is kept, at one instant.
 *
 * The high-water mark is this process's: a restart on a clock behind the database is not covered.
 */
export function wallStepHistory(history: ServiceHistory, steps: WallSteps): ServiceHistory {
  let highWater = -Infinity;
  /** `at`, held at the high-water mark, which it then raises. Every write samples first: a step is seen before it is written on. */
  const held = (at: number): number => {
    steps.sample();
    highWater = Math.max(highWater, at);
    return highWater;
  };
  steps.listen((step: WallStep) => {
    // Back: the clock had reached where it would read now without the step; nothing goes before that.
    if (step.ms < 0) highWater = Math.max(highWater, step.after - step.ms);
    if (step.ms <= 0) return;
    // Forward: the run ends where the monitor last watched, the next begins after the step.
    history.end(held(step.before));
    history.begin(held(step.after));
  });
  const log: Partial<ServiceHistory> = {
    recordCheck: (t) => history.recordCheck({ ...t, at: held(t.at) }),
    recordHealth: (bot, t) => history.recordHealth(bot, { ...t, at: held(t.at) }),
    recordAlert: (e) => history.recordAlert({ ...e, at: held(e.at) }),
    recordNotification: (n) => history.recordNotification({ ...n, at: held(n.at) }),
    recordAudit: (e) => history.recordAudit({ ...e, at: held(e.at) }),
    begin: (now) => history.begin(held(now)),
    // The store keeps the latest heartbeat; one behind the mark changes nothing there.
    heartbeat: (now) => history.heartbeat(held(now)),
  };
  // Everything else (the reads, the housekeeping, `end`) is the store's own, called on the store.
  return new Proxy(history, {
    get(target, key) {
      if (typeof key === "string" && Object.hasOwn(log, key)) return log[key as keyof ServiceHistory];
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
