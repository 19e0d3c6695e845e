/**
 * A wall clock that runs with real time but can be stepped, in process: what libfaketime does to a
 * process's `time()` with FAKETIME_DONT_FAKE_MONOTONIC, done to `Date`. `Date.now()` and `new Date()`
 * read the real clock plus an offset; `performance.now()` and the timers are untouched, so a step moves
 * the wall clock alone, as NTP or a VM resume does. vitest's fake Date (`shouldAdvanceTime`) would not
 * do: it advances by 20 ms per tick of a real interval, so it falls behind real time under load, which
 * is a wall-clock step of its own.
 */
const RealDate = Date;
let offsetMs = 0;

class SteppedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...(args as [string | number | Date]));
  }
  static override now(): number {
    return RealDate.now() + offsetMs;
  }
}

/** Replaces the global Date with the steppable one (offset 0). */
export function installSteppedWall(): void {
  offsetMs = 0;
  globalThis.Date = SteppedDate as DateConstructor;
}

/** Steps the wall clock by `ms` (negative: back). */
export function stepWall(ms: number): void {
  offsetMs += ms;
}

/** Puts the real Date back. */
export function restoreWall(): void {
  offsetMs = 0;
  globalThis.Date = RealDate;
}
