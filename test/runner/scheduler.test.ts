import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nameHash, Scheduler } from "../../src/runner/scheduler.ts";

const INTERVAL = 60_000;

/** stop() waits on a timer of its own, which is fake here too: advance while it waits. */
async function stop(s: Scheduler, deadlineMs: number): Promise<number> {
  const stopped = s.stop(deadlineMs);
  await vi.advanceTimersByTimeAsync(deadlineMs + 1);
  return stopped;
}

describe("Scheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-24T12:00:00.000Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("when 10,000 bots are scheduled, then their slots spread evenly over the interval", () => {
    const s = new Scheduler({ intervalMs: INTERVAL, concurrency: 32 }, async () => undefined);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(s.offsetOf(`creator-${i}`) / (INTERVAL / 10))]++;
    // A uniform spread puts 1,000 in each tenth; allow sampling noise, reject any pile-up.
    for (const n of buckets) {
      expect(n).toBeGreaterThan(900);
      expect(n).toBeLessThan(1100);
    }
  });

  it("when the process restarts, then each bot keeps the same slot", () => {
    const a = new Scheduler({ intervalMs: INTERVAL, concurrency: 1 }, async () => undefined);
    const b = new Scheduler({ intervalMs: INTERVAL, concurrency: 1 }, async () => undefined);
    expect(a.nextSlot("anna", Date.now())).toBe(b.nextSlot("anna", Date.now()));
    expect(nameHash("anna")).toBe(nameHash("anna"));
  });

  it("when sweeps are slow, then start times stay on the slot grid (no drift)", async () => {
    const starts: number[] = [];
    const s = new Scheduler({ intervalMs: 1000, concurrency: 4 }, async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 700));
    });
    s.add("anna", true);
    s.start();
    await vi.advanceTimersByTimeAsync(10_500);
    await stop(s, 0);
    expect(starts.length).toBeGreaterThanOrEqual(10);
    const offset = s.offsetOf("anna");
    for (const t of starts) expect((t - offset) % 1000).toBe(0);
  });

  it("when a bot has an interval of its own, then it runs on its own grid while the others keep the scheduler's", async () => {
    const starts = new Map<string, number[]>();
    const s = new Scheduler({ intervalMs: 1000, concurrency: 4 }, async (name) => {
      starts.set(name, [...(starts.get(name) ?? []), Date.now()]);
    });
    s.add("anna", true);
    s.add("bob", true, 3000);
    s.start();
    await vi.advanceTimersByTimeAsync(12_000);
    await stop(s, 0);
    expect(starts.get("anna")!.length).toBeGreaterThanOrEqual(11);
    expect(starts.get("bob")!.length).toBeGreaterThanOrEqual(3);
    expect(starts.get("bob")!.length).toBeLessThanOrEqual(4);
    const offset = s.offsetOf("bob", 3000);
    for (const t of starts.get("bob")!) expect((t - offset) % 3000).toBe(0);
    // Re-added with the scheduler's interval (the override removed): back on the common grid.
    starts.clear();
    s.add("bob", true);
    s.start();
    await vi.advanceTimersByTimeAsync(6000);
    await stop(s, 0);
    expect(starts.get("bob")!.length).toBeGreaterThanOrEqual(5);
  });

  it("when a sweep outlasts its interval, then the next slot is skipped rather than overlapped", async () => {
    let running = 0;
    let maxRunning = 0;
    const s = new Scheduler({ intervalMs: 1000, concurrency: 4 }, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 2500));
      running--;
    });
    s.add("slow", true);
    s.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await stop(s, 5000);
    expect(maxRunning).toBe(1);
    expect(s.stats.skippedOverlap).toBeGreaterThan(0);
  });

  it("when more bots are due than the concurrency allows, then at most `concurrency` sweeps run at once and all run", async () => {
    let running = 0;
    let maxRunning = 0;
    const done = new Set<string>();
    const s = new Scheduler({ intervalMs: 60_000, concurrency: 3, firstSweepWithinMs: 1 }, async (name) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 100));
      running--;
      done.add(name);
    });
    for (let i = 0; i < 20; i++) s.add(`bot-${i}`, false);
    s.start();
    await vi.advanceTimersByTimeAsync(2000);
    await stop(s, 1000);
    expect(maxRunning).toBe(3);
    expect(done.size).toBe(20);
  });

  it("when one bot hangs, then the others still run on time", async () => {
    const starts = new Map<string, number[]>();
    const s = new Scheduler({ intervalMs: 1000, concurrency: 2 }, async (name) => {
      starts.set(name, [...(starts.get(name) ?? []), Date.now()]);
      if (name === "hung") await new Promise(() => undefined);
    });
    s.add("hung", true);
    s.add("fine", true);
    s.start();
    await vi.advanceTimersByTimeAsync(5000);
    await stop(s, 0);
    expect(starts.get("hung")).toHaveLength(1);
    expect(starts.get("fine")!.length).toBeGreaterThanOrEqual(4);
  });

  it("when a sweep throws, then the error is reported with the bot's name and counted, and the bot keeps its schedule", async () => {
    const reported: Array<[string, string]> = [];
    let runs = 0;
    const s = new Scheduler(
      { intervalMs: 1000, concurrency: 1, onError: (name, err) => reported.push([name, (err as Error).message]) },
      async () => {
        runs++;
        throw new Error("composing the alert failed");
      },
    );
    s.add("anna", true);
    s.start();
    await vi.advanceTimersByTimeAsync(3000);
    await stop(s, 0);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(reported).toHaveLength(runs);
    expect(reported[0]).toEqual(["anna", "composing the alert failed"]);
    expect(s.stats.failed).toBe(runs);
  });

  it("when a bot was never checked, then its first sweep comes within the first-sweep window, not a whole interval later", async () => {
    const starts: number[] = [];
    const t0 = Date.now();
    const s = new Scheduler({ intervalMs: 60_000, concurrency: 1, firstSweepWithinMs: 5000 }, async () => {
      starts.push(Date.now());
    });
    s.add("new-bot", false);
    s.start();
    await vi.advanceTimersByTimeAsync(5000);
    await stop(s, 0);
    expect(starts).toHaveLength(1);
    expect(starts[0]! - t0).toBeLessThanOrEqual(5000);
  });

  it("when a bot is removed, then it is not swept again", async () => {
    const names: string[] = [];
    const s = new Scheduler({ intervalMs: 1000, concurrency: 2 }, async (name) => {
      names.push(name);
    });
    s.add("gone", true);
    s.start();
    await vi.advanceTimersByTimeAsync(2000);
    const before = names.length;
    s.remove("gone");
    await vi.advanceTimersByTimeAsync(3000);
    await stop(s, 0);
    expect(before).toBeGreaterThan(0);
    expect(names.length).toBe(before);
  });

  it("when the clock jumps several intervals ahead, then missed slots are not replayed in a burst", async () => {
    const starts: number[] = [];
    let clock = Date.now();
    const s = new Scheduler({ intervalMs: 1000, concurrency: 4, clock: { wall: () => clock, mono: () => clock } }, async () => {
      starts.push(clock);
    });
    s.add("anna", true);
    s.start();
    clock += 10_000; // the event loop was blocked for ten intervals
    await vi.advanceTimersByTimeAsync(1000);
    await stop(s, 0);
    expect(starts).toHaveLength(1);
  });

  it("when bots are taken over from another replica, then one whose slot passed since its last sweep is swept at once and one whose slot is ahead waits for it, both on their slot after", async () => {
    const starts = new Map<string, number[]>();
    const s = new Scheduler({ intervalMs: INTERVAL, concurrency: 4 }, async (name) => void starts.set(name, [...(starts.get(name) ?? []), Date.now()]));
    s.start();
    const now = Date.now();
    // "missed": its slot came 4–6 s ago and its last sweep was the slot before (the holder died in between);
    // "ahead": its slot is 4–6 s away, its last sweep was on the slot before that.
    const names = Array.from({ length: 2000 }, (_, i) => `bot-${i}`);
    const missed = names.find((n) => s.nextSlot(n, now - 6_000) <= now - 4_000)!;
    const ahead = names.find((n) => s.nextSlot(n, now) - now > 4_000 && s.nextSlot(n, now) - now < 6_000)!;
    const missedSlot = s.nextSlot(missed, now - 6_000);
    const aheadSlot = s.nextSlot(ahead, now);
    s.add(missed, { lastSweptAt: missedSlot - INTERVAL + 30 });
    s.add(ahead, { lastSweptAt: aheadSlot - INTERVAL + 30 });
    await vi.advanceTimersByTimeAsync(10);
    expect(starts.get(missed)).toEqual([now]);
    expect(starts.get(ahead)).toBeUndefined();
    await vi.advanceTimersByTimeAsync(INTERVAL + 1_000);
    expect(starts.get(ahead)).toEqual([aheadSlot]);
    expect(starts.get(missed)).toEqual([now, missedSlot + INTERVAL]);
    await stop(s, 100);
  });
});
