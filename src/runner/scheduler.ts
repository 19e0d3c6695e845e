import { armTimer, systemClock, type Clock } from "../clock.ts";
import { MinHeap } from "./min-heap.ts";

/**
 * Runs every bot's sweep once per interval, at a fixed point of the interval.
 *
 * Each bot's point is derived from its name (a hash), so the fleet is spread evenly, no two
 * restarts disagree, and a restart causes no stampede: due times are wall-clock slot arithmetic
 * (`offset + k * interval`), never "last finish + interval", so nothing drifts. A bot that has
 * never been checked gets its first sweep within `firstSweepWithin` instead of waiting a whole
 * interval. At most `concurrency` sweeps run at once; the rest wait in arrival order. A bot whose
 * previous sweep is still running, or still waiting to run, skips its slot (counted) rather than
 * overlapping itself or running twice in a row.
 *
 * Slots are wall-clock arithmetic, but the waiting is monotonic: each due time is planned as "the
 * next slot on the wall clock, that far from now on the monotonic clock", and planned again from
 * the wall clock at every sweep. A wall-clock step (NTP, VM resume, an operator) therefore moves the
 * phase, never the wait: every bot still runs within one interval of the step, none stalls for the
 * hour the clock went back, none is replayed for the hour it went forward.
 */
export interface SchedulerOptions<R = void> {
  intervalMs: number;
  concurrency: number;
  /** Window over which never-checked bots get their first sweep (default min(interval, 10 s)). */
  firstSweepWithinMs?: number;
  /** Wall clock for slot phases, monotonic clock for waiting (tests inject both). */
  clock?: Clock;
  /** A sweep that threw (logged and counted by the caller; the bot keeps its schedule). */
  onError?: (name: string, err: unknown) => void;
  /** A finished sweep's result, in the order sweeps finish (the alert engine hangs here). */
  onSwept?(name: string, result: R): void;
  /** Seconds from a sweep's due time to its start, per sweep (the schedule lag histogram). */
  observeLag?: (seconds: number) => void;
}

/** One sweep of `name`; `signal` aborts when the scheduler stops and the sweep outlives the deadline. */
export type SweepFn<R = void> = (name: string, signal: AbortSignal) => Promise<R>;

interface Entry {
  name: string;
  /** Monotonic ms (see Clock.mono). */
  due: number;
  generation: number;
  /** This bot's interval: the scheduler's, or the bot's own (a per-bot check option). */
  intervalMs: number;
}

export interface SchedulerStats {
  started: number;
  skippedOverlap: number;
  /** Sweeps that threw. */
  failed: number;
}

export class Scheduler<R = void> {
  private readonly heap = new MinHeap<Entry>((e) => e.due);
  private readonly generation = new Map<string, number>();
  private readonly intervals = new Map<string, number>();
  private readonly running = new Map<string, { done: Promise<void>; cancel: AbortController }>();
  /** Due and waiting for a free place, oldest first: waiting[waitingHead …]. */
  private waiting: Entry[] = [];
  private waitingHead = 0;
  private readonly queued = new Set<string>();
  /** Aborts the sweeps `runNow` started when a stop cancels. */
  private readonly outOfSlot = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private readonly clock: Clock;
  /** Monotonic ms of the last sign of progress: started, a first bot added, or a sweep started. */
  private lastProgress = 0;
  readonly stats: SchedulerStats = { started: 0, skippedOverlap: 0, failed: 0 };

  private readonly options: SchedulerOptions<R>;
  private readonly sweep: SweepFn<R>;

  constructor(options: SchedulerOptions<R>, sweep: SweepFn<R>) {
    this.options = options;
    this.sweep = sweep;
    this.clock = options.clock ?? systemClock;
  }

  /** Where in each interval this bot's sweep falls, in ms from the interval's start. */
  offsetOf(name: string, intervalMs = this.options.intervalMs): number {
    return Math.floor((nameHash(name) / 2 ** 32) * intervalMs);
  }

  /** The first slot strictly after `after`. */
  nextSlot(name: string, after: number, intervalMs = this.options.intervalMs): number {
    const offset = this.offsetOf(name, intervalMs);
    return Math.floor((after - offset) / intervalMs + 1) * intervalMs + offset;
  }

  /**
   * Adds a bot (or re-adds it after a change). `checkedBefore` false → an early first sweep, spread over
   * the first-sweep window (a start adds thousands at once); `true` → its slot; "now" → at once (one bot
   * registered through the API: its owner wants a verdict within seconds, and it keeps its slot after);
   * `{ lastSweptAt }` (epoch ms) → taken over from another replica: the slot after that sweep's slot, or
   * at once when that slot has passed (one clock reading decides, so no slot slips between check and plan).
   * "soon" → a never-checked bot joining a running fleet (a reload): spread over half the first-sweep
   * window, so that even a slow first sweep ends within one interval. `intervalMs` gives this bot an
   * interval of its own (default: the scheduler's).
   */
  add(name: string, checkedBefore: boolean | "now" | "soon" | { lastSweptAt: number }, intervalMs = this.options.intervalMs): void {
    const generation = (this.generation.get(name) ?? 0) + 1;
    if (this.generation.size === 0) this.lastProgress = this.clock.mono();
    this.generation.set(name, generation);
    this.intervals.set(name, intervalMs);
    const now = this.clock.mono();
    const window = (this.options.firstSweepWithinMs ?? Math.min(intervalMs, 10_000)) / (checkedBefore === "soon" ? 2 : 1);
    const due =
      checkedBefore === "now" ? now
      : typeof checkedBefore === "object" ? this.resume(name, intervalMs, checkedBefore.lastSweptAt)
      : checkedBefore ? this.plan(name, intervalMs)
      : now + (this.offsetOf(name, intervalMs) / intervalMs) * window;
    this.heap.push({ name, due, generation, intervalMs });
    this.arm();
  }

  /** A reload: at most `concurrency` sweeps from the next one that starts (those running finish). */
  setConcurrency(concurrency: number): void {
    this.options.concurrency = concurrency;
    this.drain();
  }

  /** A reload: every bot on the scheduler's interval moves to its slot of the new one, swept there once. */
  setInterval(intervalMs: number): void {
    const previous = this.options.intervalMs;
    if (intervalMs === previous) return;
    this.options.intervalMs = intervalMs;
    for (const [name, ms] of [...this.intervals]) {
      if (ms !== previous) continue; // a bot with an interval of its own keeps it
      const generation = this.generation.get(name)! + 1;
      this.generation.set(name, generation);
      this.intervals.set(name, intervalMs);
      this.heap.push({ name, due: this.plan(name, intervalMs), generation, intervalMs });
    }
    this.arm();
  }

  remove(name: string): void {
    // Lazy deletion: the heap entry is dropped when it surfaces with a stale generation.
    this.generation.delete(name);
    this.intervals.delete(name);
  }

  has(name: string): boolean {
    return this.generation.has(name);
  }

  get size(): number {
    return this.generation.size;
  }

  start(): void {
    this.active = true;
    this.lastProgress = this.clock.mono();
    this.arm();
  }

  /**
   * Stops scheduling; waits for running sweeps up to `deadlineMs`, then cancels those still running
   * (their signal aborts; a stopping service drops what they return). Returns how many were cancelled.
   */
  async stop(deadlineMs: number): Promise<number> {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = [];
    this.waitingHead = 0;
    this.queued.clear();
    if (this.running.size === 0) return 0;
    let timeout: NodeJS.Timeout | undefined;
    const left = await Promise.race([
      Promise.allSettled([...this.running.values()].map((r) => r.done)).then(() => 0),
      new Promise<number>((resolve) => (timeout = armTimer(() => resolve(this.running.size), deadlineMs))),
    ]);
    clearTimeout(timeout);
    // Cancelled, not abandoned: each ends at its next await, and its result is not recorded.
    if (left > 0) for (const run of this.running.values()) run.cancel.abort();
    this.outOfSlot.abort();
    return left;
  }

  /**
   * Sweeps `name` now, outside its slot (the admin API's "run"), and hands the result on as a
   * scheduled sweep's is; its signal aborts when a stop cancels the running sweeps.
   */
  async runNow(name: string): Promise<R> {
    const result = await this.sweep(name, this.outOfSlot.signal);
    this.options.onSwept?.(name, result);
    return result;
  }

  get isRunning(): boolean {
    return this.active;
  }

  /**
   * Running, and sweeps are starting: false once none has started for two intervals (the longest
   * any of its bots has) while it has bots. What /healthz reports, so a stuck scheduler gets restarted.
   */
  get isLive(): boolean {
    if (!this.active) return false;
    if (this.intervals.size === 0) return true;
    let longest = 0;
    for (const ms of this.intervals.values()) if (ms > longest) longest = ms;
    return this.clock.mono() - this.lastProgress <= 2 * longest;
  }

  /** Monotonic due time of the slot after the one `lastSweptAt` swept (a sweep runs at or just after its slot); now if it passed. */
  private resume(name: string, intervalMs: number, lastSweptAt: number): number {
    const wall = this.clock.wall();
    const next = this.nextSlot(name, lastSweptAt - intervalMs, intervalMs) + intervalMs;
    return this.clock.mono() + Math.max(0, next - wall);
  }

  /** Monotonic due time of the bot's next slot after now on the wall clock. */
  private plan(name: string, intervalMs: number): number {
    const wall = this.clock.wall();
    return this.clock.mono() + (this.nextSlot(name, wall, intervalMs) - wall);
  }

  private arm(): void {
    if (!this.active) return;
    const next = this.heap.peek();
    if (!next) return;
    clearTimeout(this.timer);
    this.timer = armTimer(() => this.fire(), next.due - this.clock.mono());
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.mono();
    for (let e = this.heap.peek(); e && e.due <= now; e = this.heap.peek()) {
      this.heap.pop();
      if (this.generation.get(e.name) !== e.generation) continue;
      // The next slot is booked before this one runs: a slow sweep never shifts the schedule.
      // After an early first sweep or a wall-clock step, the bot's slot may be moments away: then
      // take the one after (two sweeps of a bot are never less than half an interval apart).
      let next = this.plan(e.name, e.intervalMs);
      if (next - e.due < e.intervalMs / 2) next += e.intervalMs;
      this.heap.push({ name: e.name, due: next, generation: e.generation, intervalMs: e.intervalMs });
      if (this.running.has(e.name) || this.queued.has(e.name)) this.stats.skippedOverlap++;
      else {
        this.waiting.push(e);
        this.queued.add(e.name);
      }
    }
    this.drain();
    this.arm();
  }

  private drain(): void {
    while (this.active && this.running.size < this.options.concurrency && this.waitingHead < this.waiting.length) {
      const e = this.waiting[this.waitingHead++]!;
      // A queue, not shift(): shift() copies the array, and a start-up backlog can be the whole fleet.
      if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.waitingHead);
        this.waitingHead = 0;
      }
      this.queued.delete(e.name);
      if (this.generation.get(e.name) !== e.generation || this.running.has(e.name)) continue;
      this.stats.started++;
      this.lastProgress = this.clock.mono();
      this.options.observeLag?.((this.lastProgress - e.due) / 1000);
      const cancel = new AbortController();
      const done = this.sweep(e.name, cancel.signal)
        .then((result) => this.options.onSwept?.(e.name, result))
        .catch((err: unknown) => {
          this.stats.failed++;
          this.options.onError?.(e.name, err);
        })
        .finally(() => {
          this.running.delete(e.name);
          this.drain();
        });
      this.running.set(e.name, { done, cancel });
    }
  }
}

/**
 * A stable, well-spread 32-bit hash of a bot's name (slots and shards): FNV-1a, then murmur3's
 * finalizer, because FNV-1a alone leaves names that differ only at the end (creator-1,
 * creator-2, …) clustered in the high bits the slot is taken from.
 */
export function nameHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
