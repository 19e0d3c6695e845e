/**
 * The pagerduty channel against a local receiver that checks every event against the Events API v2 shape
 * (test/support/vendor-shapes-paging.ts, from https://developer.pagerduty.com/docs/events-api-v2/trigger-events/),
 * through the outbox (429, 400) and through the service on the sandbox (one dedup_key per alert across a restart).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPagerDutyChannel, dedupKey, PAGERDUTY_EVENTS_URL, type PagerDutyChannelConfig } from "../../../src/alerts/channels/pagerduty.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../../src/alerts/types.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { maskConfig } from "../../../src/config/secrets.ts";
import { createLogger } from "../../../src/log.ts";
import { startSandbox } from "../../../src/sandbox/server.ts";
import { startService } from "../../../src/service.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { refusedDelivery, throttledDelivery } from "../../support/channel-outbox.ts";
import { cli } from "../../support/cli.ts";
import { control, fleetBots, healthyWorld } from "../../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver, type ReceiverAnswer } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";
import { sleep, startTestService, until } from "../../support/service-harness.ts";
import { testDatabaseUrl } from "../../support/test-database.ts";
import { PAGERDUTY_ACCEPTED, pagerDutyEventOf } from "../../support/vendor-shapes-paging.ts";

const ROUTING_KEY = "R0utingKey0f32CharactersExactly1";
const URL_OF_PAGE = "https://watch.example.com/#bot-anna";

const firing = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({
    bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip" } },
    since: "2026-03-01T10:00:00.000Z",
    checks: [alertCheck(), alertCheck({ check: "rights", status: "warn", message: "missing can_reply", remediation: "Allow the bot to reply." })],
    url: URL_OF_PAGE,
    ...overrides,
  });

afterEach(closeHttpReceivers);

const receiver = (answer: ReceiverAnswer = PAGERDUTY_ACCEPTED) => httpReceiver(answer);

function channel(url: string, timeoutMs = 2_000): Channel {
  const config: PagerDutyChannelConfig = { type: "pagerduty", routingKey: ROUTING_KEY, url: `${url}/v2/enqueue`, minHealth: "degraded", bots: {} };
  return createPagerDutyChannel("pager", config, { timeoutMs });
}

describe("pagerduty channel", () => {
  it("when a bot goes down, then a trigger event of the documented shape goes to /v2/enqueue with the checks, the fixes and the page", async () => {
    const pd = await receiver();
    await channel(pd.url).send(firing(), AbortSignal.timeout(5_000));
    expect(pd.requests).toHaveLength(1);
    expect(pd.requests[0]!.path).toBe("/v2/enqueue");
    const event = pagerDutyEventOf(pd.requests[0]!);
    expect(event).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: "secretary-watch/anna/2026-03-01T10:00:00.000Z",
      payload: {
        summary: "[FIRING] anna (@anna_secretary_bot) is down",
        source: "@anna_secretary_bot",
        severity: "critical",
        timestamp: "2026-03-01T10:02:00Z",
        component: "anna",
        class: "token",
        custom_details: {
          kind: "firing",
          health: "down",
          severity: "down",
          since: "2026-03-01T10:00:00.000Z",
          bot: "anna",
          username: "anna_secretary_bot",
          labels: { tier: "vip" },
          failing_checks: [
            { check: "token", status: "fail", message: "getMe: 401 Unauthorized", fix: "Issue a new token with @BotFather.", since: "2026-03-01T10:00:00Z" },
            { check: "rights", status: "warn", message: "missing can_reply", fix: "Allow the bot to reply.", since: "2026-03-01T10:00:00Z" },
          ],
        },
      },
      client: "secretary-watch",
      client_url: URL_OF_PAGE,
      links: [{ href: URL_OF_PAGE, text: "Status page" }],
    });
  });

  it("when an alert fires degraded, escalates, reminds and resolves, then trigger, trigger, trigger and resolve share one dedup_key", async () => {
    const pd = await receiver();
    const c = channel(pd.url);
    const steps = [
      firing({ severity: "degraded", health: "degraded" }),
      firing({ escalatedFrom: "degraded", at: "2026-03-01T10:05:00Z" }),
      firing({ kind: "reminder", at: "2026-03-01T14:05:00Z" }),
      firing({ kind: "resolved", health: "healthy", checks: [], at: "2026-03-01T15:00:00Z", endsAt: "2026-03-01T15:00:00Z" }),
    ];
    for (const m of steps) await c.send(m, AbortSignal.timeout(5_000));
    const events = pd.requests.map(pagerDutyEventOf);
    expect(events.map((e) => e.event_action)).toEqual(["trigger", "trigger", "trigger", "resolve"]);
    expect(new Set(events.map((e) => e.dedup_key))).toEqual(new Set(["secretary-watch/anna/2026-03-01T10:00:00.000Z"]));
    expect(events.map((e) => (e.event_action === "trigger" ? e.payload.severity : "-"))).toEqual(["warning", "critical", "critical", "-"]);
    expect(events[1]!.event_action === "trigger" && events[1]!.payload.summary).toBe("[ESCALATED to down] anna (@anna_secretary_bot) is down");
    expect(events[3]).toEqual({ routing_key: ROUTING_KEY, event_action: "resolve", dedup_key: "secretary-watch/anna/2026-03-01T10:00:00.000Z" });
  });

  it("when two replicas of one config render the same alert, then their keys are equal; a later firing of the same bot gets another", async () => {
    const [a, b] = [await receiver(), await receiver()];
    // The same stored start, read back by another replica (or another engine) in another ISO form.
    await channel(a.url).send(firing(), AbortSignal.timeout(5_000));
    await channel(b.url).send(firing({ since: "2026-03-01T10:00:00Z", at: "2026-03-01T10:02:01Z" }), AbortSignal.timeout(5_000));
    const [fromA, fromB] = [pagerDutyEventOf(a.requests[0]!), pagerDutyEventOf(b.requests[0]!)];
    expect(fromB.dedup_key).toBe(fromA.dedup_key);

    expect(dedupKey(firing({ since: "2026-03-01T16:00:00Z" }))).not.toBe(fromA.dedup_key);
    expect(dedupKey(firing({ key: "bob", bot: { name: "bob", username: "bob_bot", labels: {} } }))).not.toBe(fromA.dedup_key);
    expect(dedupKey({ ...firing(), key: "monitor", scope: "monitor" })).toBe("secretary-watch/monitor/2026-03-01T10:00:00.000Z");
  });

  it("when the monitor cannot reach Telegram, then the event is an error from secretary-watch", async () => {
    const pd = await receiver();
    const { bot: _bot, ...rest } = firing();
    await channel(pd.url).send({ ...rest, key: "monitor", scope: "monitor", health: "unknown", summary: "secretary-watch cannot reach Telegram" }, AbortSignal.timeout(5_000));
    const event = pagerDutyEventOf(pd.requests[0]!);
    expect(event.event_action === "trigger" && [event.payload.severity, event.payload.source]).toEqual(["error", "secretary-watch"]);
  });

  it("when the summary is longer than PagerDuty's 1024 characters, then it is cut to 1024 with an ellipsis", async () => {
    const pd = await receiver();
    await channel(pd.url).send(firing({ summary: `anna is down ${"🔥".repeat(700)}` }), AbortSignal.timeout(5_000));
    const event = pagerDutyEventOf(pd.requests[0]!);
    const summary = event.event_action === "trigger" ? event.payload.summary : "";
    expect(summary.length).toBeLessThanOrEqual(1024);
    expect(summary.endsWith("🔥…")).toBe(true);
  });

  it("when PagerDuty answers 400 quoting the key, then a permanent ChannelError without the routing key", async () => {
    const body = JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors: [`routing_key ${ROUTING_KEY} unknown`] });
    const pd = await receiver({ status: 400, headers: { "content-type": "application/json" }, body });
    const err = await rejection(channel(pd.url).send(firing(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("HTTP 400");
    expect(err.message).toContain("Event object is invalid");
    expect(err.message).not.toContain(ROUTING_KEY);
  });

  it("when PagerDuty answers 500 or cannot be reached, then a retryable ChannelError", async () => {
    const pd = await receiver({ status: 500 });
    expect((await rejection(channel(pd.url).send(firing(), AbortSignal.timeout(5_000)), ChannelError)).permanent).toBe(false);
    const url = pd.url;
    await pd.close();
    const err = await rejection(channel(url).send(firing(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("network error");
  });
});

describe("pagerduty channel through the outbox", () => {
  it("when PagerDuty answers 429 with Retry-After: 1, then the outbox waits that second before the event goes again, and it is delivered", async () => {
    const { requests, waitedMs } = await throttledDelivery(channel, { status: 429, headers: { "retry-after": "1" } }, PAGERDUTY_ACCEPTED, firing());
    expect(requests).toHaveLength(2);
    // Without Retry-After the back-off would retry after 50 ms.
    expect(waitedMs).toBeGreaterThanOrEqual(900);
    expect(pagerDutyEventOf(requests[1]!).dedup_key).toBe(pagerDutyEventOf(requests[0]!).dedup_key);
  });

  it("when PagerDuty answers 400, then the event is dropped after one attempt and counted as dropped", async () => {
    const { requests, counted } = await refusedDelivery(channel, { status: 400, body: '{"status":"invalid event","message":"Event object is invalid"}' }, firing());
    expect(requests).toHaveLength(1);
    expect(counted).toContain('secretary_notifications_total{channel="pager",kind="firing",result="dropped"} 1');
  });
});

describe("pagerduty channel configuration and `alerts test`", () => {
  const configOf = (pager: Record<string, unknown>) => parseConfig(JSON.stringify({ alerts: { channels: { pager: { type: "pagerduty", ...pager } } } }), {}, "test.yaml");

  it("when only a routing key is given, then the US Events API v2 is the URL; `config check` masks the key", () => {
    const config = configOf({ routingKey: ROUTING_KEY });
    expect(config.alerts.channels.pager).toMatchObject({ url: PAGERDUTY_EVENTS_URL, routingKey: ROUTING_KEY });
    expect(JSON.stringify(maskConfig(config))).not.toContain(ROUTING_KEY);
  });

  it("when the routing key is not 32 letters and digits, then the error names the key and what is expected, never the value", () => {
    expect(() => configOf({ routingKey: "abc" })).toThrow(ConfigError);
    try {
      configOf({ routingKey: "abc", url: "ftp://x" });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        "alerts.channels.pager.routingKey: expected the 32-character Integration Key of an Events API v2 integration (the value is not shown)",
        expect.stringMatching(/^alerts\.channels\.pager\.url: expected an http\(s\) URL such as https:\/\/events\.pagerduty\.com\/v2\/enqueue/),
      ]);
    }
  });

  it("when `secretary-watch alerts test --channel pager` runs, then an info trigger goes out under a key no alert can have", async () => {
    const pd = await receiver();
    const file = join(mkdtempSync(join(tmpdir(), "pager-test-")), "config.yaml");
    writeFileSync(file, `alerts:\n  channels:\n    pager: { type: pagerduty, routingKey: "\${PD_ROUTING_KEY}", url: "${pd.url}/v2/enqueue" }\n    other: { type: webhook, url: "${pd.url}/other" }\n`);
    const run = await cli(["alerts", "test", "--config", file, "--channel", "pager"], { PD_ROUTING_KEY: ROUTING_KEY });
    expect([run.code, run.stdout]).toEqual([0, "sent    pager (pagerduty)\n"]);
    expect(pd.requests).toHaveLength(1);
    const event = pagerDutyEventOf(pd.requests[0]!);
    expect(event.routing_key).toBe(ROUTING_KEY);
    expect(event.event_action).toBe("trigger");
    expect(event.dedup_key).toMatch(/^secretary-watch-test\/\d{4}-\d\d-\d\dT/);
    expect(event.event_action === "trigger" && event.payload.severity).toBe("info");
  });
});

describe("pagerduty channel in the service", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** The sandbox with one revoked bot, a PagerDuty receiver, and the config both scenarios run the service with. */
  async function failingBot() {
    const sandbox = await startSandbox({ world: healthyWorld(1) });
    cleanup.push(() => sandbox.close());
    const pd = await receiver();
    await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const config = {
      telegram: { apiRoot: sandbox.url, timeout: "2s" },
      schedule: { interval: "1s", concurrency: 4 },
      bots: fleetBots(1),
      alerts: { failAfter: 1, recoverAfter: 1, channels: { pager: { type: "pagerduty", routingKey: ROUTING_KEY, url: `${pd.url}/v2/enqueue` } } },
    };
    const events = () => pd.requests.map(pagerDutyEventOf);
    const triggered = () => until("the trigger", () => (events().length === 1 ? true : undefined), 15_000);
    /** The bot recovers, then fails again: the resolve must carry the trigger's key, the new trigger another. */
    const recoverAndFailAgain = async () => {
      await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: false });
      await until("the resolve", () => (events().length === 2 ? true : undefined), 15_000);
      await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: true });
      await until("the new trigger", () => (events().length === 3 ? true : undefined), 15_000);
      const [trigger, resolve, again] = events();
      expect([trigger!.event_action, resolve!.event_action, again!.event_action]).toEqual(["trigger", "resolve", "trigger"]);
      expect(trigger!.dedup_key).toMatch(/^secretary-watch\/bot-0\//);
      expect(resolve!.dedup_key).toBe(trigger!.dedup_key);
      expect(again!.dedup_key).not.toBe(trigger!.dedup_key);
    };
    return { config, events, triggered, recoverAndFailAgain };
  }

  it("when a bot fails, the service restarts, it recovers and fails again, then trigger and resolve pair across the restart and the new firing has a new key", async () => {
    const { config, events, triggered, recoverAndFailAgain } = await failingBot();
    const first = await startTestService(config);
    await triggered();
    await first.service.stop();

    const second = await startTestService(config, {}, first.dir);
    cleanup.push(() => second.service.stop());
    await sleep(2_500); // two sweeps of the still-revoked bot: no second trigger
    expect(events()).toHaveLength(1);
    await recoverAndFailAgain();
    expect(second.logs.text + first.logs.text).not.toContain(ROUTING_KEY);
  }, 60_000);

  it("when one replica triggers and another takes the shard over, then the other's resolve carries the same key and its next firing a new one", async () => {
    const { config, triggered, recoverAndFailAgain } = await failingBot();
    const databaseUrl = await testDatabaseUrl();
    // Two replicas of one config on one PostgreSQL: each its own process state, the alert state shared.
    const replica = async () => {
      const parsed = parseConfig(JSON.stringify({ ...config, store: { url: databaseUrl }, shard: { count: 1 } }), {}, "replica.yaml");
      const service = await startService({ config: parsed, logger: createLogger({ level: "silent" }), port: 0, storeFlushMs: 50, leaseMs: 2_000, replicaPollMs: 200 });
      cleanup.push(() => service.stop());
      return service;
    };
    const first = await replica();
    await triggered();
    await replica();
    await first.stop();
    await recoverAndFailAgain();
  }, 60_000);
});
