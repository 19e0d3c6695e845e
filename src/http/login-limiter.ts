/**
 * Counts failed admin logins per client address: after `maxFailures` wrong tokens from one address
 * within `windowMs`, that address's failures are answered 429 until the window ends. Only failures:
 * the caller checks the token first and never asks about a request that carries the right one, so a
 * flood of bad requests cannot lock an admin out. Memory stays bounded: old windows are dropped, and
 * at most `maxTracked` addresses are tracked.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; windowStart: number; lastCheck?: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(options: { maxFailures?: number; windowMs?: number; maxTracked?: number; now?: () => number } = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds the address must wait, or 0 when it may try. */
  blockedFor(address: string): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    const left = entry.windowStart + this.windowMs - this.now();
    if (left <= 0) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.maxFailures ? Math.ceil(left / 1000) : 0;
  }

  /**
   * Whether a password from `address` may be checked now: always while it is not blocked; once a second
   * while it is. bcrypt is slow on purpose, and checking every guess of a flood would give it a core
   * (test/faults/http-abuse.test.ts); once a second, a right password from behind the flood still gets in.
   */
  mayCheck(address: string): boolean {
    if (this.blockedFor(address) === 0) return true;
    const entry = this.failures.get(address)!;
    const now = this.now();
    if (entry.lastCheck !== undefined && now - entry.lastCheck < 1000) return false;
    entry.lastCheck = now;
    return true;
  }

  fail(address: string): void {
    const now = this.now();
    const entry = this.failures.get(address);
    if (entry && now - entry.windowStart < this.windowMs) {
      entry.count++;
      return;
    }
    if (this.failures.size >= this.maxTracked) this.prune(now);
    this.failures.set(address, { count: 1, windowStart: now });
  }

  private prune(now: number): void {
    for (const [address, e] of this.failures) if (now - e.windowStart >= this.windowMs) this.failures.delete(address);
    // Still full: forget the oldest (Map keeps insertion order).
    while (this.failures.size >= this.maxTracked) this.failures.delete(this.failures.keys().next().value!);
  }
}
