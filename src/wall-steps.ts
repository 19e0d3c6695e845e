import { armInterval, systemClock, type Clock } from "./clock.ts";

/**
 * A step of the wall clock by `ms`, seen between two samples: the wall clock read `before` at the last
 * sample before it (at most a sample period earlier) and `after` at the first one after it.
 */
export interface WallStep {
  ms: number;
  before: number;
  after: number;
}

/** Smaller differences are not steps: NTP slews both clocks alike, and two reads a moment apart differ by less. */
export const STEP_THRESHOLD_MS = 1000;

/**
 * Notices wall-clock steps (NTP, a VM resume, an operator's `date -s`) by watching wall − monotonic,
 * which only a step changes. What measures elapsed time on wall timestamps that outlive a timer (the
 * alert's reminder and escalation clocks, the history's known time) listens here and corrects for the
 * step, so the time it counts is time the monitor watched. `sample()` is cheap (two clock reads): the
 * service samples every second and before each alert step and history write, so a step is seen before
 * anything is decided on the stepped clock, and placed within a second of when it happened.
 */
export class WallSteps {
  private readonly clock: Clock;
  private readonly listeners: Array<(step: WallStep) => void> = [];
  private lastWall: number;
  private lastOffset: number;
  private timer: NodeJS.Timeout | undefined;
  private last: { step: WallStep; mono: number } | undefined;

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
    this.lastWall = clock.wall();
    this.lastOffset = this.lastWall - clock.mono();
  }

  listen(listener: (step: WallStep) => void): void {
    this.listeners.push(listener);
  }

  /** Reads both clocks; tells the listeners of a step since the last read. Returns it, or undefined. */
  sample(): WallStep | undefined {
    const wall = this.clock.wall();
    const offset = wall - this.clock.mono();
    const ms = offset - this.lastOffset;
    const before = this.lastWall;
    this.lastWall = wall;
    this.lastOffset = offset;
    if (Math.abs(ms) < STEP_THRESHOLD_MS) return undefined;
    const step = { ms, before, after: wall };
    this.last = { step, mono: this.clock.mono() };
    for (const listener of this.listeners) listener(step);
    return step;
  }

  /**
   * `wall`, a time read moments ago, on the clock as it reads now: moved by the last step when it was read
   * before it. A sweep that straddles a step carries a time of the old clock; its alert step must not
   * count the step as time passed (an hour back would make a reminder due at once). Only for half the
   * step's size after it, at most a minute: later, both sides of the step are too close to tell apart.
   */
  current(wall: number): number {
    const last = this.last;
    if (!last || this.clock.mono() - last.mono > Math.min(Math.abs(last.step.ms) / 2, 60_000)) return wall;
    const { ms, after } = last.step;
    const middle = after - ms / 2;
    const before = ms > 0 ? wall < middle : wall > middle;
    return before ? wall + ms : wall;
  }

  start(everyMs = 1000): void {
    this.timer ??= armInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
