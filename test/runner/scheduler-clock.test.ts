import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Scheduler } from "../../src/runner/scheduler.ts";

/**
 * Wall-clock steps. Fake timers move Date.now() and performance.now() together; vi.setSystemTime
 * steps the wall clock alone, as NTP or a VM resume does, while timers keep monotonic time.
 */

const INTERVAL = 1000;
const HOUR = 3_600_000;
const BOTS = Array.from({ length: 20 }, (_, i) => `bot-${i}`);

function fleet(): { scheduler: Scheduler; starts: Map<string, number[]> } {
  const starts = new Map<string, number[]>(BOTS.map((b) => [b, []]));
  const scheduler = new Scheduler({ intervalMs: INTERVAL, concurrency: 32 }, async (name) => {
    starts.get(name)!.push(performance.now());
  });
  for (const b of BOTS) scheduler.add(b, true);
  scheduler.start();
  return { scheduler, starts };
}

const counts = (starts: Map<string, number[]>) => BOTS.map((b) => starts.get(b)!.length);

describe("Scheduler under wall-clock steps", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-24T12:00:00.000Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("when the wall clock steps back an hour and then forward again, then every bot is swept within one interval of each step, once per interval", async () => {
    const { scheduler, starts } = fleet();
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    for (const step of [-HOUR, +HOUR]) {
      vi.setSystemTime(Date.now() + step);
      const before = counts(starts);
      await vi.advanceTimersByTimeAsync(INTERVAL);
      const afterOne = counts(starts);
      BOTS.forEach((_, i) => expect(afterOne[i]! - before[i]!, `${BOTS[i]} swept within one interval of a ${step / HOUR} h step`).toBe(1));
      await vi.advanceTimersByTimeAsync(5 * INTERVAL);
      const afterSix = counts(starts);
      // Six intervals: six sweeps, or five when the re-phased slot was skipped for being too close.
      BOTS.forEach((_, i) => expect(afterSix[i]! - before[i]!).toBeGreaterThanOrEqual(5));
      BOTS.forEach((_, i) => expect(afterSix[i]! - before[i]!).toBeLessThanOrEqual(6));
    }
    await scheduler.stop(0);
    // Never two sweeps of a bot closer than half an interval, whatever the clock did.
    for (const times of starts.values()) for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(INTERVAL / 2);
  });

  it("when the wall clock steps, then the bots' slots follow the new wall clock (as a restart would place them)", async () => {
    const { scheduler, starts } = fleet();
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    vi.setSystemTime(Date.now() - HOUR - 250);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    const wallAtStart = new Map<string, number>();
    const probe = new Scheduler({ intervalMs: INTERVAL, concurrency: 32 }, async (name) => {
      wallAtStart.set(name, Date.now());
    });
    for (const b of BOTS) probe.add(b, true);
    probe.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await Promise.all([scheduler.stop(0), probe.stop(0)]);
    for (const b of BOTS) {
      expect((wallAtStart.get(b)! - scheduler.offsetOf(b)) % INTERVAL).toBe(0);
      expect(starts.get(b)!.length).toBeGreaterThanOrEqual(4);
    }
  });

  it("when sweeps stop starting for two intervals while there are bots, then the scheduler is not live", async () => {
    let wall = Date.parse("2026-11-24T12:00:00.000Z");
    let mono = 0;
    const clock = { wall: () => wall, mono: () => mono };
    const s = new Scheduler({ intervalMs: INTERVAL, concurrency: 1 }, () => new Promise<void>(() => undefined));
    expect(s.isLive).toBe(false); // not started
    s.start();
    expect(s.isLive).toBe(true); // no bots: nothing to be late with
    const clocked = new Scheduler({ intervalMs: INTERVAL, concurrency: 1, firstSweepWithinMs: 1, clock }, () => new Promise<void>(() => undefined));
    clocked.add("hung", false);
    clocked.add("waiting", false);
    clocked.start();
    mono += 10;
    wall += 10;
    await vi.advanceTimersByTimeAsync(10);
    expect(clocked.stats.started).toBe(1); // the first hangs and holds the only place
    mono += 2 * INTERVAL; // two intervals since that start
    wall -= HOUR; // a wall step says nothing about progress
    expect(clocked.isLive).toBe(true);
    mono += 1;
    expect(clocked.isLive).toBe(false);
    clocked.remove("hung");
    clocked.remove("waiting");
    expect(clocked.isLive).toBe(true); // no bots left
    const stopped = Promise.all([s.stop(0), clocked.stop(0)]);
    await vi.advanceTimersByTimeAsync(1); // stop() waits on a fake timer for the hung sweep
    await stopped;
    expect(clocked.isLive).toBe(false);
  });
});
