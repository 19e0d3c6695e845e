import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Outbox } from "../../src/alerts/outbox.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../src/alerts/types.ts";
import { StateStore } from "../../src/store/state-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { sleep, until } from "../support/service-harness.ts";

/** The outbox's waiting under wall-clock steps and under absurd server-given back-offs. */

const logger = pino({ level: "silent" });
const HOUR = 3_600_000;

function message(key: string): AlertMessage {
  const at = new Date().toISOString();
  return { key, scope: "bot", kind: "firing", severity: "down", health: "down", since: at, at, activeUntil: at, summary: `${key} is down`, checks: [] };
}

/** A channel that fails with `failures` in turn, then delivers. */
function channel(failures: Error[]): Channel & { delivered: AlertMessage[]; attempts: number } {
  const c = {
    name: "hook",
    type: "test",
    delivered: [] as AlertMessage[],
    attempts: 0,
    accepts: () => true,
    async send(m: AlertMessage) {
      c.attempts++;
      const failure = failures.shift();
      if (failure) throw failure;
      c.delivered.push(m);
    },
  };
  return c;
}

describe("Outbox timing", () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    stops.splice(0).forEach((s) => s());
    vi.useRealTimers();
  });

  async function start(c: Channel, extra: Partial<ConstructorParameters<typeof Outbox>[0]> = {}) {
    const store = await StateStore.open<WatchState>({ path: null });
    const outbox = new Outbox({ store, channels: [c], logger, baseBackoffMs: 50, maxBackoffMs: 200, ...extra });
    stops.push(() => outbox.stop());
    outbox.start();
    return { outbox, store };
  }

  for (const step of [-HOUR, +HOUR])
    it(`when the wall clock steps ${step > 0 ? "forward" : "back"} an hour during a back-off, then the retry still comes after the back-off`, async () => {
      // Only Date is faked, and it runs with real time: setSystemTime is a wall-clock step, timers stay real.
      vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
      const failing = channel([new ChannelError("connect ECONNREFUSED")]);
      const { outbox } = await start(failing);
      const queued = Date.now();
      await outbox.enqueue(message("anna"));
      await until("the first attempt", () => (failing.attempts === 1 ? true : undefined), 2000);
      vi.setSystemTime(Date.now() + step);
      await until("delivery after the back-off", () => (failing.delivered.length === 1 ? true : undefined), 3000);
      expect(failing.attempts).toBe(2);
      // Delivered within moments of the back-off (50 ms), not an hour later or in a loop.
      expect(Date.now() - step - queued).toBeLessThan(2000);
    });

  it("when entries come from an earlier process with a due time far ahead (its clock was ahead), then they wait at most the longest back-off", async () => {
    let wall = Date.now();
    const clock = { wall: () => wall, mono: () => performance.now() };
    const c = channel([]);
    const store = await StateStore.open<WatchState>({ path: null });
    await store.outbox.add([{ id: "x", channel: "hook", message: message("anna"), createdAt: new Date(wall).toISOString(), attempts: 3, nextAttemptAt: wall + 10 * HOUR }]);
    const outbox = new Outbox({ store, channels: [c], logger, baseBackoffMs: 50, maxBackoffMs: 200, maxRetryAfterMs: 300, clock });
    stops.push(() => outbox.stop());
    outbox.start();
    wall -= HOUR; // and this one's wall clock steps back too: the wait is monotonic
    await until("delivery", () => (c.delivered.length === 1 ? true : undefined), 2000);
  });

  it("when a receiver answers 429 with Retry-After: 3000000 (s), then the retry waits the capped hour and no timer overflows", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const c = channel([new ChannelError("Too Many Requests", { retryAfterMs: 3_000_000 * 1000 })]);
      const { outbox, store } = await start(c);
      await outbox.enqueue(message("anna"));
      await until("the first attempt", () => (c.attempts === 1 && store.outbox.list()[0]?.attempts === 1 ? true : undefined), 2000);
      await sleep(300);
      const wait = store.outbox.list()[0]!.nextAttemptAt - Date.now();
      expect(wait).toBeGreaterThan(HOUR - 5_000);
      expect(wait).toBeLessThanOrEqual(HOUR);
      expect(c.attempts).toBe(1);
      expect(warnings).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
