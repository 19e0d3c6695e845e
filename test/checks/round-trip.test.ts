import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import { DEMO_WORLD } from "../../src/demo.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import type { BotStatus, MonitoredBot } from "../../src/model.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import { BotClient } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { createSandboxTestAccount } from "../../src/testaccount/sandbox.ts";
import type { TestAccount } from "../../src/testaccount/types.ts";
import { expectRow, jsonAnswer, PROBE as PROBE_USER, refusal, sweepScenario, UNKNOWN_REMEDIATION, type Row, type Scenario } from "../support/check-scenario.ts";

const PROBE = 555000111;
const transport = createTransport();

/** The demo's bots, as the monitor sees them, with the live test on. */
const ANNA = { name: "anna", token: "7000001:demo-anna-Xk2v9", username: "anna_secretary_bot", ownerId: 123456789, bc: "bc-anna" };
const SILENT = { name: "silent", token: "7000020:demo-silent-Mn2o0", username: "silent_secretary_bot", ownerId: 100000020, bc: "bc-silent" };

function monitored(b: typeof ANNA, mode: "reply" | "outbound", slowAfter = 5000): MonitoredBot {
  return {
    name: b.name,
    token: b.token,
    username: b.username,
    ownerId: b.ownerId,
    businessConnectionId: b.bc,
    probeChats: [],
    labels: {},
    checks: {
      rights: { require: ["can_reply"] },
      webhook: { mode: "any", maxPendingUpdates: 100, errorWindow: 600_000 },
      "round-trip": { enabled: true, mode, interval: 900_000, timeout: 1500, slowAfter },
    },
  };
}

describe("the round-trip check against the sandbox", () => {
  let sandbox: Sandbox;
  let account: TestAccount;
  const metrics = new Metrics("test", { checks: CHECKS }).attach({ bots: () => [], statuses: () => [], alertsFiring: () => ({ degraded: 0, down: 0 }), outboxSize: () => 0 });

  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    account = createSandboxTestAccount({ sandboxUrl: sandbox.url, userId: PROBE });
  });
  afterEach(() => sandbox.world.reset());
  afterAll(async () => {
    await account.close();
    await sandbox.close();
    transport.close();
  });

  const patch = (path: string, body: unknown) =>
    fetch(`${sandbox.url}/_sandbox${path}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => {
      expect(r.status).toBe(200);
    });

  async function roundTrip(bot: MonitoredBot) {
    const client = new BotClient(bot.token, { apiRoot: sandbox.url, environment: "prod", timeoutMs: 2000 }, transport, () => undefined);
    const status: BotStatus = await runSweep({
      bot,
      checks: CHECKS,
      client,
      testAccount: account,
      includeOwnSchedule: true,
      onCheck: (b, r) => metrics.observeCheck(b, r),
    });
    return status.checks.find((c) => c.check === "round-trip")!;
  }

  it.each(["reply", "outbound"] as const)("when the bot is healthy, then %s mode is ok with its latency recorded", async (mode) => {
    const r = await roundTrip(monitored(ANNA, mode));
    expect(r.status, r.message).toBe("ok");
    expect(r.latencyMs).toBeGreaterThan(0);
    // reply waits for the simulated backend (300 ms in the demo world); outbound does not involve it.
    if (mode === "reply") expect(r.latencyMs).toBeGreaterThanOrEqual(290);
    expect(r.message).toMatch(new RegExp(`^${mode} in \\d+(\\.\\d)? s$`));
  });

  it("when outbound mode ran, then its message was deleted from the test account's chat", async () => {
    await roundTrip(monitored(ANNA, "outbound"));
    const chat = (await (await fetch(`${sandbox.url}/_sandbox/accounts/${PROBE}/chats/${ANNA.ownerId}/messages`)).json()) as unknown[];
    expect(chat.filter((m) => JSON.stringify(m).includes("round-trip"))).toEqual([]);
  });

  it("when the bot's backend is silent, then reply mode fails saying the connection looks fine", async () => {
    const r = await roundTrip(monitored(SILENT, "reply"));
    expect(r.status).toBe("fail");
    expect(r.impact).toBe("down");
    expect(r.message).toContain("the Secretary connection looks fine, but no reply came from the profile within 1.5 s");
    expect(r.remediation).toContain("backend");
    expect(r.latencyMs).toBeUndefined();
  });

  it("when the bot's backend is silent, then outbound mode still passes: it tests the sending path, not the backend", async () => {
    expect((await roundTrip(monitored(SILENT, "outbound"))).status).toBe("ok");
  });

  it.each(["reply", "outbound"] as const)("when can_reply is removed, then %s mode fails", async (mode) => {
    await patch(`/bots/anna_secretary_bot/connections/bc-anna`, { rights: { can_reply: false } });
    const bot = monitored(ANNA, mode);
    bot.checks.rights = { require: [] }; // let the live test run although the rights check would stop it
    const r = await roundTrip(bot);
    expect(r.status).toBe("fail");
    if (mode === "outbound") expect(r.message).toContain("BOT_ACCESS_FORBIDDEN");
  });

  it.each(["reply", "outbound"] as const)("when the test account's chat is out of scope, then %s mode fails", async (mode) => {
    await patch(`/bots/anna_secretary_bot/connections/bc-anna`, { excludedChats: [PROBE] });
    const r = await roundTrip(monitored(ANNA, mode));
    expect(r.status).toBe("fail");
    if (mode === "outbound") expect(r.message).toContain("BUSINESS_PEER_INVALID");
  });

  it("when replies are slower than slowAfter, then reply mode warns with the latency", async () => {
    await patch(`/bots/anna_secretary_bot`, { backend: { delayMs: 700 } });
    const r = await roundTrip(monitored(ANNA, "reply", 400));
    expect(r.status).toBe("warn");
    expect(r.latencyMs).toBeGreaterThanOrEqual(690);
    expect(r.message).toMatch(/^reply took 0\.7 s \(slower than 0\.4 s\)$/);
  });

  it("when sending through the connection is slower than slowAfter, then outbound mode warns", async () => {
    const fault = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bot: "anna_secretary_bot", methods: ["sendMessage"], latencyMs: 600 }),
    });
    expect(fault.status).toBe(201);
    const r = await roundTrip(monitored(ANNA, "outbound", 300));
    expect(r.status).toBe("warn");
    expect(r.latencyMs).toBeGreaterThanOrEqual(590);
  });

  it("when round-trips ran, then their latencies are in secretary_roundtrip_duration_seconds per bot and mode", async () => {
    const text = await metrics.registry.getSingleMetricAsString("secretary_roundtrip_duration_seconds");
    expect(text).toMatch(/secretary_roundtrip_duration_seconds_count\{bot="anna",mode="reply"\} [1-9]/);
    expect(text).toMatch(/secretary_roundtrip_duration_seconds_count\{bot="anna",mode="outbound"\} [1-9]/);
  });
});

/** The live test on, in `mode`, through the sandbox test account, with a short timeout. */
const live = (mode: "reply" | "outbound", options: Record<string, unknown> = {}, given: Scenario = {}): Scenario => ({
  ...given,
  testAccount: true,
  checks: { ...given.checks, "round-trip": { enabled: true, mode, timeout: "1s", ...options } },
});
const unknown = expect.stringContaining(UNKNOWN_REMEDIATION);
const sendRefused = expect.stringContaining("Telegram refused a message sent through the business connection");
const notDelivered = expect.stringContaining("Telegram accepted the bot's message but the test account never saw it");
const slow = expect.stringContaining("Replies arrive, but slowly");
/** What sendMessage answers when Telegram takes the message (the fault answers instead, so nothing is delivered). */
const accepted = { ok: true, result: { message_id: 999, date: 1700000000, chat: { id: PROBE_USER, type: "private" }, text: "secretary-watch round-trip" } };

/** Every branch of checks/round-trip.ts, against a sandbox world over loopback (test/support/check-scenario.ts). */
const ROWS: Row[] = [
  {
    when: "no test account is configured",
    given: { checks: { "round-trip": { enabled: true } } },
    then: { status: "skipped", message: "no test account configured (testAccount.session)", remediation: undefined },
  },
  {
    when: "the backend replies in reply mode",
    given: live("reply"),
    then: { status: "ok", message: expect.stringMatching(/^reply in \d+(\.\d)? s$/), remediation: undefined, latencyMs: expect.any(Number) },
  },
  {
    when: "the backend replies slower than slowAfter in reply mode",
    given: live("reply", { slowAfter: "0s" }),
    then: { status: "warn", message: expect.stringMatching(/^reply took \d+(\.\d)? s \(slower than 0 s\)$/), remediation: slow, latencyMs: expect.any(Number) },
  },
  {
    when: "the backend never replies in reply mode",
    given: live("reply", {}, { bot: { backend: { replies: false } } }),
    then: {
      status: "fail",
      message: "the Secretary connection looks fine, but no reply came from the profile within 1 s of a message from the test account",
      remediation: expect.stringContaining("the bot's own backend is not answering"),
      impact: "down",
    },
  },
  {
    when: "the bot's message reaches the test account in outbound mode",
    given: live("outbound"),
    then: { status: "ok", message: expect.stringMatching(/^outbound in \d+(\.\d)? s$/), remediation: undefined, latencyMs: expect.any(Number) },
  },
  {
    when: "the bot's message arrives slower than slowAfter in outbound mode",
    given: live("outbound", { slowAfter: "0s" }, { faults: [{ methods: ["sendMessage"], latencyMs: 50 }] }),
    then: { status: "warn", message: expect.stringMatching(/^outbound took \d+(\.\d)? s \(slower than 0 s\)$/), remediation: slow },
  },
  {
    when: "Telegram answers BOT_ACCESS_FORBIDDEN to the outbound message",
    given: live("outbound", {}, { connection: { rights: { can_reply: false } }, checks: { rights: { require: [] } } }),
    then: { status: "fail", message: "Telegram refused to send through the business connection: Bad Request: BOT_ACCESS_FORBIDDEN", remediation: sendRefused, impact: "down" },
  },
  {
    when: "Telegram answers BUSINESS_PEER_INVALID to the outbound message (the test account is outside the scope)",
    given: live("outbound", {}, { connection: { excludedChats: [PROBE_USER] } }),
    then: { status: "fail", message: "Telegram refused to send through the business connection: Bad Request: BUSINESS_PEER_INVALID", remediation: sendRefused },
  },
  {
    when: "Telegram answers BUSINESS_PEER_USAGE_MISSING to the outbound message",
    given: live("outbound", {}, { faults: [refusal("sendMessage", "Bad Request: BUSINESS_PEER_USAGE_MISSING")] }),
    then: { status: "fail", message: "Telegram refused to send through the business connection: Bad Request: BUSINESS_PEER_USAGE_MISSING", remediation: sendRefused },
  },
  {
    when: "Telegram accepts the outbound message but the test account never receives it",
    given: live("outbound", {}, { faults: [jsonAnswer("sendMessage", accepted)] }),
    then: { status: "fail", message: "Telegram accepted the message, but the test account did not receive it within 1 s", remediation: notDelivered, impact: "down" },
  },
  {
    when: "the Bot API answers the outbound message with 500",
    given: live("outbound", {}, { faults: [{ methods: ["sendMessage"], status: 500 }] }),
    then: { status: "unknown", message: "sendMessage: Internal Server Error", remediation: unknown },
  },
  {
    when: 'the outbound message\'s id is "7" (the answer is not the Bot API\'s)',
    given: live("outbound", {}, { faults: [{ methods: ["sendMessage"], patchResult: { message_id: "7" } }] }),
    then: { status: "unknown", message: "sendMessage: result.message_id is a string, expected a number", remediation: unknown },
  },
  {
    when: "the connection is disabled",
    given: live("reply", {}, { connection: { isEnabled: false } }),
    then: { status: "skipped", message: "skipped: connection did not pass", remediation: undefined },
  },
];

describe("the round-trip check's scenario table against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then round-trip is ${row.then.status}`, () => expectRow("round-trip", row));

  it("when the live test is not enabled, then the sweep leaves it out", async () => {
    const outcome = await sweepScenario({ testAccount: true });
    expect(outcome.status.checks.map((c) => c.check)).not.toContain("round-trip");
    expect(outcome.status.health).toBe("healthy");
  });
});
