import { RefusalError } from "../errors.ts";

/** What a login is answered when the gate's queue is full (basic-auth.ts adds Retry-After). */
export class BusyLoginError extends RefusalError {
  constructor() {
    super(429, "too many logins are being checked at once; try again in a second");
  }
}

/**
 * Runs password hash checks one at a time, as Prometheus' exporter-toolkit does (its bcryptMtx): bcrypt
 * is slow on purpose (~70 ms of a core at cost 10), so a flood of wrong passwords would otherwise take
 * every libuv thread and both cores from the sweeps. At most `maxWaiting` wait their turn, each holding
 * an open request; past that a check is refused at once (BusyLoginError), so a flood costs one core at
 * most and memory stays bounded. Logins already known good (access.ts' cache) never come here.
 */
export class HashGate {
  private running = false;
  private readonly waiting: Array<() => void> = [];

  private readonly maxWaiting: number;

  constructor(maxWaiting = 8) {
    this.maxWaiting = maxWaiting;
  }

  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.running) {
      if (this.waiting.length >= this.maxWaiting) throw new BusyLoginError();
      // Handed over by the one before: `running` stays true between the two.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running = true;
    try {
      return await check();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running = false;
    }
  }
}
