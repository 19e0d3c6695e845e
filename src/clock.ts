/**
 * The two clocks the service reads. Wall time (`Date.now()`) is for what people and restarts read:
 * ISO times, a bot's slot phase. Monotonic time (`performance.now()`) is for measuring waits: it
 * never steps, so an NTP correction or a VM resume that moves the wall clock by an hour neither
 * stalls a timer for that hour nor fires everything at once. Every timer is armed from monotonic
 * differences and through `armTimer`, which never hands `setTimeout` more than it takes.
 */
export interface Clock {
  /** Epoch milliseconds; may step backward or forward. */
  wall(): number;
  /** Milliseconds from an arbitrary origin; never steps. */
  mono(): number;
}

// Read at call time, not bound once: fake timers in tests replace the globals.
export const systemClock: Clock = { wall: () => Date.now(), mono: () => performance.now() };

/** The longest delay `setTimeout` takes (2³¹−1 ms, 24.8 days); Node fires anything longer after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a delay `setTimeout` honours: 0 for negatives and NaN, at most MAX_TIMER_MS. */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/**
 * `setTimeout` with the delay bounded by `timerDelay`. A wait longer than 24.8 days fires early,
 * at the bound: every caller re-checks what is due when its timer fires and re-arms for the rest.
 */
export function armTimer(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(fn, timerDelay(ms));
}

/** `setInterval` with the period bounded the same way (at least 1 ms). */
export function armInterval(fn: () => void, ms: number): NodeJS.Timeout {
  return setInterval(fn, Math.max(1, timerDelay(ms)));
}
