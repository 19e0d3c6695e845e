/**
 * The webhook check's stalled-updates rule, sweep after sweep of one bot on a simulated monitor clock: the
 * edge cases against a sandbox over loopback (the real client, the real runner carrying what the check
 * remembers from one result to the next, each result round-tripped through JSON as the store keeps it), and
 * a day of a busy bot's backlog as a property, through the runner with an in-memory Bot API.
 */
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { token } from "../../checks/token.ts";
import { webhook } from "../../checks/webhook.ts";
import type { BotStatus, MonitoredBot } from "../../src/model.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { BotClient } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { botToken, botUsername, control, healthyWorld } from "../support/healthy-fleet.ts";

const MINUTE = 60_000;
/** The stall's failure: its start (to the second) and the threshold, neither of which moves while it lasts. */
const stalledSince = (since: string, after = "5m") => `updates pending and not being consumed since ${since} (${after} or more)`;
const CHECKS = [token, webhook];
const POLLING_FIX = expect.stringContaining("the bot's poller (the process that calls getUpdates) is not running or cannot reach Telegram");
const WEBHOOK_FIX = expect.stringContaining("the backend behind the webhook is not answering Telegram's deliveries");

/** The bot as configured, polling, with these webhook options over the defaults (durations in ms). */
function polling(options: Record<string, unknown> = {}): MonitoredBot {
  const checks = { webhook: { mode: "polling", ...options } } as MonitoredBot["checks"];
  return { name: "bot-0", token: botToken(0), username: botUsername(0), ownerId: 200000000, probeChats: [], labels: {}, checks };
}

describe("the webhook check's stall rule, sweep after sweep against a sandbox", () => {
  let sandbox: Sandbox;
  let transport: ReturnType<typeof createTransport>;
  let client: BotClient;
  /** The simulated monitor clock: each sweep reads it once per check. */
  let now: number;
  let last: BotStatus | undefined;

  const world = (webhook: Record<string, unknown>) => control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { webhook });
  const pending = (count: number) => world({ pendingUpdateCount: count });
  /** One sweep at the clock's time, the previous result read back as the store keeps it; then the clock moves on. */
  async function sweep(bot = polling(), stepMs = MINUTE): Promise<BotStatus> {
    const previous = last && (JSON.parse(JSON.stringify(last)) as BotStatus);
    const at = now;
    last = await runSweep({ bot, checks: CHECKS, client, ...(previous && { previous }), clock: () => new Date(at) });
    now += stepMs;
    return last;
  }
  const result = (s: BotStatus) => s.checks.find((c) => c.check === "webhook")!;
  /** Sweeps once per count (the sandbox's pending updates set before each), returning the webhook results. */
  async function sweepsSeeing(counts: number[], bot = polling()) {
    const results = [];
    for (const count of counts) {
      await pending(count);
      results.push(result(await sweep(bot)));
    }
    return results;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ world: healthyWorld(1) });
    transport = createTransport();
    client = new BotClient(botToken(0), { apiRoot: sandbox.url, environment: "prod", timeoutMs: 1000 }, transport, () => undefined);
  });
  afterAll(async () => {
    await sandbox.close();
    transport.close();
  });
  beforeEach(async () => {
    sandbox.world.reset();
    await world({ url: "" });
    now = Date.parse("2026-12-02T06:00:00.000Z");
    last = undefined;
  });

  it("when the first sweep after start sees a backlog, then webhook is ok and the backlog is remembered from that sweep", async () => {
    await pending(4);
    const first = await sweep();
    expect(result(first)).toMatchObject({ status: "ok", message: "4 updates pending" });
    expect(first.observed.remembered).toEqual({ webhookBacklog: { since: "2026-12-02T06:00:00.000Z", count: 4 } });
  });

  it("when the backlog never goes down, then webhook fails at the sweep stalledAfter after the first that saw it, not before", async () => {
    const results = await sweepsSeeing([3, 3, 5, 5, 8, 8, 9, 12]);
    expect(results.slice(0, 5).map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(results[5]).toMatchObject({ status: "fail", impact: "degraded", message: stalledSince("2026-12-02T06:00:00Z"), remediation: POLLING_FIX });
    expect(results[7]).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:00:00Z") });
  });

  it("when every sweep sees the same count, then that counts as never going down", async () => {
    const results = await sweepsSeeing([2, 2, 2, 2, 2, 2]);
    expect(results[4]!.status).toBe("ok");
    expect(results[5]).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:00:00Z") });
  });

  it("when a stalled backlog goes down by one, then webhook is ok at once, and a new stall needs stalledAfter again", async () => {
    const results = await sweepsSeeing([6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5]);
    expect(results[5]!.status).toBe("fail");
    expect(results[6]).toMatchObject({ status: "ok", message: "5 updates pending" });
    expect(last!.observed.remembered?.webhookBacklog?.since).toBe("2026-12-02T06:06:00.000Z");
    expect(results.slice(6, 11).map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(results[11]).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:06:00Z") });
  });

  it("when the backlog drains to 0, then nothing is remembered and the next backlog starts a new stall", async () => {
    await sweepsSeeing([4, 4, 4, 4, 0]);
    expect(last!.observed.remembered).toBeUndefined();
    const results = await sweepsSeeing([4, 4, 4, 4, 4, 4]);
    expect(results.map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "fail"]);
  });

  it("when a busy bot's small backlog rises and falls, then webhook never fails", async () => {
    const results = await sweepsSeeing([1, 3, 2, 2, 4, 6, 1, 0, 2, 5, 7, 9, 3, 3, 4, 4, 6, 2]);
    expect(results.every((r) => r.status === "ok")).toBe(true);
  });

  it("when a sweep's webhook info is unknown, then the stall is neither reset nor advanced, and the next sweeps go on from it", async () => {
    await sweepsSeeing([5, 5]);
    const remembered = last!.observed.remembered;
    // Telegram would have shown a drop, and then a rise, but the monitor cannot reach it.
    await pending(1);
    const fault = (await control(sandbox.url, "POST", "/faults", { bot: botUsername(0), methods: ["getWebhookInfo"], status: 500 })) as { id: string };
    expect(result(await sweep())).toMatchObject({ status: "unknown" });
    expect(last!.observed.remembered).toEqual(remembered);
    await pending(20);
    expect(result(await sweep())).toMatchObject({ status: "unknown" });
    expect(last!.observed.remembered).toEqual(remembered);
    await control(sandbox.url, "DELETE", `/faults/${fault.id}`);
    const results = await sweepsSeeing([6, 6]);
    expect(results[0]!.status).toBe("ok");
    expect(results[1]).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:00:00Z") });
  });

  it("when the token is revoked for a sweep, then webhook is skipped and the stall is kept", async () => {
    await sweepsSeeing([5, 5]);
    const remembered = last!.observed.remembered;
    await control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { revoked: true });
    expect(result(await sweep())).toMatchObject({ status: "skipped" });
    expect(last!.observed.remembered).toEqual(remembered);
  });

  it("when the check is disabled for a sweep, then what it remembered is dropped", async () => {
    await sweepsSeeing([5, 5]);
    const status = await sweep(polling({ enabled: false }));
    expect(status.checks.map((c) => c.check)).toEqual(["token"]);
    expect(status.observed.remembered).toBeUndefined();
  });

  it("when the service restarts in the middle of a stall, then the stored result carries it and the stall counts across the restart", async () => {
    await sweepsSeeing([7, 7, 8]);
    // Stopped for 90 s after the sweep at 2m (what the store kept is what the next start reads: `sweep` round-trips it).
    now += 90_000 - MINUTE;
    const results = await sweepsSeeing([8, 9, 9]);
    expect(results.slice(0, 2).map((r) => r.status)).toEqual(["ok", "ok"]);
    expect(results[2]).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:00:00Z") });
  });

  it("when the stored result predates the stall rule (nothing remembered), then the stall starts at the first sweep after the restart", async () => {
    await sweepsSeeing([7, 7, 7]);
    delete last!.observed.remembered;
    const results = await sweepsSeeing([7, 7, 7, 7, 7, 7]);
    expect(results.map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "fail"]);
  });

  it("when the stall's sweeps read the clock a little early, then it still fails at the sweep stalledAfter after the first", async () => {
    // Each sweep's clock reading lags its slot by its getMe; the sixth's was 300 ms faster than the first's.
    await pending(3);
    await sweep(polling(), MINUTE - 60);
    for (let i = 0; i < 4; i++) await sweep(polling(), MINUTE - 60);
    expect(result(await sweep())).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:00:00Z") });
  });

  it("when a webhook bot's backend accepts nothing, then the stall's remedy is about the backend answering Telegram's deliveries", async () => {
    await world({ url: "https://bots.example.com/0" });
    const results = await sweepsSeeing([150, 150, 151, 160, 170, 170], polling({ mode: "webhook" }));
    expect(results[0]).toMatchObject({ status: "warn", message: "150 updates pending (more than 100)" });
    expect(results[5]).toMatchObject({ status: "fail", message: stalledSince("2026-12-02T06:00:00Z"), remediation: WEBHOOK_FIX });
  });

  it("when a stall is set shorter, then it fails after that long (and a bad stalledAfter is refused by the schema)", async () => {
    const results = await sweepsSeeing([1, 1, 1], polling({ stalledAfter: 2 * MINUTE }));
    expect(results.map((r) => r.status)).toEqual(["ok", "ok", "fail"]);
    expect(webhook.options.safeParse({ stalledAfter: "500ms" }).error?.issues[0]?.message).toBe("expected a duration from 1s to 7d, got 500ms");
  });
});

/** An in-memory Bot API for one polling bot whose pending count is `pending()` at each getWebhookInfo. */
const memoryClient = (pending: () => number) =>
  ({
    call: async (method: string) =>
      method === "getMe" ? { id: 1, is_bot: true, first_name: "Busy", username: "busy_bot" } : { url: "", has_custom_certificate: false, pending_update_count: pending() },
  }) as unknown as BotClient;

/**
 * A busy bot's backlog for a day of sweeps: runs in which the count holds or rises for at most `maxRun`
 * sweeps, each run starting below where the last one ended (something consumed), or at 0.
 */
const busyBacklog = (sweeps: number, maxRun: number) =>
  fc
    .array(fc.record({ start: fc.nat(30), rises: fc.array(fc.nat(10), { maxLength: maxRun - 1 }) }), { minLength: 1, maxLength: 200 })
    .map((runs) => {
      const counts: number[] = [];
      for (let i = 0; counts.length < sweeps; i++) {
        const run = runs[i % runs.length]!;
        const last = counts.at(-1) ?? 0;
        let count = last === 0 ? run.start : Math.min(run.start, last - 1);
        counts.push(count);
        for (const rise of run.rises) counts.push((count += rise));
      }
      return counts.slice(0, sweeps);
    });

describe("the webhook check's stall rule over a simulated day", () => {
  /** Sweeps `counts` once a minute, each sweep's clock up to `jitterMs` late; the webhook results. */
  async function day(counts: number[], jitter: number[], stalledAfter = 5 * MINUTE) {
    let previous: BotStatus | undefined;
    let i = 0;
    const client = memoryClient(() => counts[i]!);
    const start = Date.parse("2026-12-02T00:00:00Z");
    const results = [];
    for (; i < counts.length; i++) {
      const at = start + i * MINUTE + (jitter[i % jitter.length] ?? 0);
      const b = polling({ stalledAfter });
      previous = await runSweep({ bot: b, checks: CHECKS, client, ...(previous && { previous }), clock: () => new Date(at) });
      results.push(previous.checks.find((c) => c.check === "webhook")!);
    }
    return results;
  }

  it("when a busy bot's backlog rises and falls for 24 hours, then webhook never fails", async () => {
    // A run of 5 sweeps that holds spans 4 minutes, under the 5 of stalledAfter.
    const sweeps = 24 * 60;
    await fc.assert(
      fc.asyncProperty(busyBacklog(sweeps, 5), fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 50 }), async (counts, jitter) => {
        const failed = (await day(counts, jitter)).findIndex((r) => r.status === "fail");
        expect(failed, `failed at sweep ${failed}: ${JSON.stringify(counts.slice(Math.max(0, failed - 6), failed + 1))}`).toBe(-1);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it("when a busy bot's poller stops at any point of the day, then webhook fails exactly stalledAfter after the first sweep that saw the stall", async () => {
    await fc.assert(
      fc.asyncProperty(busyBacklog(60, 5), fc.nat(50), fc.array(fc.nat(5), { minLength: 12, maxLength: 12 }), async (busy, stopAt, arrivals) => {
        // From the stop on, nothing is consumed: updates only arrive (zero or more a minute), on top of what waited.
        const before = busy.slice(0, stopAt);
        let count = Math.max(1, before.at(-1) ?? 1);
        const stalled = arrivals.map((a) => (count += a));
        const results = await day([...before, ...stalled], [0]);
        // The stall joins the busy backlog's last run unless that ended at 0 (its count does not go down).
        const first = before.length > 0 && before.at(-1)! > 0 ? runStart(before) : before.length;
        const failAt = first + 5;
        expect(results.slice(0, failAt).every((r) => r.status !== "fail")).toBe(true);
        expect(results[failAt]).toMatchObject({ status: "fail", message: stalledSince(new Date(Date.parse("2026-12-02T00:00:00Z") + first * MINUTE).toISOString().replace(".000Z", "Z")) });
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});

/** Where the last run of `counts` (above 0, never going down) began. */
function runStart(counts: number[]): number {
  let i = counts.length - 1;
  while (i > 0 && counts[i - 1]! > 0 && counts[i]! >= counts[i - 1]!) i--;
  return i;
}
