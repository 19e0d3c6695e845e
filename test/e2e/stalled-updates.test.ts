/**
 * Issue 16's acceptance, end to end: the service watching a polling bot on the sandbox over loopback while
 * the test plays the bot's world — messages arriving (queued through the control API) and the bot's own
 * poller taking them with getUpdates. While the poller runs, `webhook` never fails; once it stops, `webhook`
 * fails within stalledAfter + one interval, a service restart in between included; once it runs again, the
 * backlog drains and `webhook` is ok at the next sweep.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import type { Service } from "../../src/service.ts";
import { botToken, botUsername, control, fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

const INTERVAL_MS = 1000;
const STALLED_AFTER_MS = 3000;
/** What the test's own reading adds to a bound: the sweep's own calls, its result reaching /status, and the 50 ms between reads. */
const SLACK_MS = 600;

type Result = { check: string; status: string; message?: string; remediation?: string };

/** A loop that runs `step` every `everyMs` until stopped; `stop` resolves once the last step finished. */
function loop(step: () => Promise<unknown>, everyMs: number) {
  let running = true;
  const done = (async () => {
    while (running) {
      await step();
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe("stalled updates of a polling bot, end to end", () => {
  let sandbox: Sandbox;
  let service: Service;
  let dir: string;
  let messageId = 0;
  const config = () => ({
    telegram: { apiRoot: sandbox.url, timeout: "2s" },
    schedule: { interval: `${INTERVAL_MS / 1000}s` },
    checks: { webhook: { mode: "polling", stalledAfter: `${STALLED_AFTER_MS / 1000}s` } },
    bots: fleetBots(1),
  });
  /** A private message written to the bot's profile: an update waiting for the bot's poller. */
  const arrive = () =>
    control(sandbox.url, "POST", `/bots/${botUsername(0)}/updates`, {
      updates: [{ message: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: 555000111, type: "private" }, text: "hello?" } }],
    });
  /** The bot's poller: takes whatever waits, as often as a long poll would return. */
  const poll = () => fetch(`${sandbox.url}/bot${botToken(0)}/getUpdates`, { method: "POST" }).then((r) => r.json());
  const webhookResult = async (): Promise<Result | undefined> => {
    const res = await fetch(`${service.url}/status/bots/bot-0`);
    if (res.status === 404) return undefined;
    const body = (await res.json()) as { checks: Result[] };
    return body.checks.find((c) => c.check === "webhook");
  };
  const webhookIs = (status: string) => async () => {
    const r = await webhookResult();
    return r?.status === status ? r : undefined;
  };

  let traffic: ReturnType<typeof loop>;
  let poller: ReturnType<typeof loop> | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ world: healthyWorld(1) });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  beforeEach(async () => {
    sandbox.world.reset();
    await control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { webhook: { url: "" } });
    ({ service, dir } = await startTestService(config()));
    traffic = loop(arrive, 500);
    poller = loop(poll, 20);
    await until("the bot's first sweep", webhookResult, 15_000);
  }, 20_000);
  afterEach(async () => {
    await poller?.stop();
    await traffic.stop();
    await service?.stop();
  });

  /** Stops the poller; returns when the backlog began (an update arrived right after). */
  async function stopPoller(): Promise<number> {
    await poller!.stop();
    poller = undefined;
    await arrive();
    return Date.now();
  }

  it("when the poller runs, then webhook never fails; when it stops, then webhook fails within stalledAfter + one interval; when it runs again, then ok at the next sweep", async () => {
    // Longer than stalledAfter, with messages arriving all the while: a consumed backlog never trips it.
    const busyUntil = Date.now() + STALLED_AFTER_MS + 2 * INTERVAL_MS;
    while (Date.now() < busyUntil) {
      expect((await webhookResult())?.status).toBe("ok");
      await sleep(50);
    }

    const stalledAt = await stopPoller();
    const failed = await until("webhook to fail", webhookIs("fail"), STALLED_AFTER_MS + INTERVAL_MS + 5000);
    const tookMs = Date.now() - stalledAt;
    expect(tookMs).toBeGreaterThanOrEqual(STALLED_AFTER_MS);
    expect(tookMs).toBeLessThanOrEqual(STALLED_AFTER_MS + INTERVAL_MS + SLACK_MS);
    expect(failed.message).toMatch(/^updates pending and not being consumed since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(3s or more\)$/);
    expect(failed.remediation).toContain("the bot's poller (the process that calls getUpdates) is not running or cannot reach Telegram");

    poller = loop(poll, 20);
    const restartedAt = Date.now();
    const ok = await until("webhook to be ok again", webhookIs("ok"), INTERVAL_MS + 5000);
    expect(Date.now() - restartedAt).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    expect(ok.message).toMatch(/^[01] updates pending$/);
  }, 30_000);

  it("when the service restarts while the poller is stopped, then the stall counts across the restart and webhook fails within stalledAfter + one interval", async () => {
    const stalledAt = await stopPoller();
    await until("a sweep to see the backlog", async () => {
      const r = await webhookResult();
      return r?.status === "ok" && !r.message?.startsWith("0 ") ? r : undefined;
    }, 2 * INTERVAL_MS + 1000);
    // Another sweep sees it too: a restart that lost the stall's start would now delay the verdict by two seconds.
    await sleep(INTERVAL_MS);
    await service.stop();
    ({ service } = await startTestService(config(), {}, dir));

    const failed = await until("webhook to fail after the restart", webhookIs("fail"), STALLED_AFTER_MS + INTERVAL_MS + 5000);
    const tookMs = Date.now() - stalledAt;
    expect(tookMs).toBeGreaterThanOrEqual(STALLED_AFTER_MS);
    expect(tookMs).toBeLessThanOrEqual(STALLED_AFTER_MS + INTERVAL_MS + SLACK_MS);
    expect(failed.message).toMatch(/^updates pending and not being consumed since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(3s or more\)$/);
  }, 30_000);
});
