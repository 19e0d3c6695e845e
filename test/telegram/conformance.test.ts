/**
 * Every request the client sends conforms to the Bot API spec (test/fixtures/botapi): method names,
 * parameter names, required parameters and their types, for each caller of the Bot API (a sweep with
 * every check, the telegram alert channel, doctor's --discover), through the real client and transport
 * over loopback to the sandbox, with a recording proxy between them. Telegram's error answers (400, 401,
 * 429 with retry_after, 500) are validated on the way back. Then mistakes planted on either side (a
 * wrong-typed or null field in an answer, a misspelt or wrong-typed parameter, a misspelt method, a bad
 * error envelope) show that the validation fails on them.
 */
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import { createTelegramChannel } from "../../src/alerts/channels/telegram.ts";
import { runDoctor } from "../../src/cli/doctor-command.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { MonitoredBot } from "../../src/model.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { SWEEP_METHODS } from "../../src/runner/sweep-telegram.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { BotClient, type TelegramSettings } from "../../src/telegram/client.ts";
import { createTransport, type Transport } from "../../src/telegram/transport.ts";
import { createSandboxTestAccount } from "../../src/testaccount/sandbox.ts";
import { alertMessage } from "../support/alert-fixtures.ts";
import { nonconformities, startBotApiRecorder, type BotApiExchange, type BotApiRecorder } from "../support/bot-api-recorder.ts";
import { BotApiValidator, SERVER_EXTRAS } from "../support/botapi-spec.ts";
import { control } from "../support/healthy-fleet.ts";

const OWNER = 123456789;
const PROBE = 555000111;
const OUTSIDER = 555000222;
const ANNA = { token: "7000001:conform-anna-Xk2v9", username: "anna_secretary_bot", connection: "bc-anna" };
const POLLY = { token: "7000002:conform-polly-Pq3w8", username: "polly_secretary_bot", connection: "bc-polly" };
const ALERTS = { token: "7000003:conform-alerts-Zt7y1", username: "alerts_bot" };
const ALL_RIGHTS = {
  can_reply: true, can_read_messages: true, can_delete_sent_messages: true, can_view_gifts_and_stars: true,
  can_convert_gifts_to_stars: true, can_transfer_and_upgrade_gifts: true, can_transfer_stars: true,
};

const world = {
  latencyMs: 0,
  users: [{ id: PROBE, firstName: "Probe" }, { id: OUTSIDER, firstName: "Outsider" }, { id: OWNER, firstName: "Anna", lastName: "Creator", username: "anna_creator" }],
  faults: [],
  bots: [
    {
      token: ANNA.token,
      username: ANNA.username,
      firstName: "Anna Secretary",
      // Every optional field of WebhookInfo the sandbox can send is there.
      webhook: { url: "https://bots.example.com/anna", ipAddress: "203.0.113.10", maxConnections: 40, pendingUpdateCount: 3, lastErrorSecondsAgo: 30, lastErrorMessage: "Wrong response from the webhook: 502 Bad Gateway", allowedUpdates: ["message", "business_connection", "business_message"] },
      backend: { delayMs: 20 },
      connections: [{ id: ANNA.connection, userId: OWNER, rights: ALL_RIGHTS, excludedChats: [OUTSIDER], recentInbound: [PROBE] }],
    },
    {
      token: POLLY.token,
      username: POLLY.username,
      firstName: "Polly Secretary",
      webhook: { url: "" },
      connections: [{ id: POLLY.connection, userId: OWNER, isEnabled: false, rights: { can_reply: true } }],
      pendingUpdates: [{ businessConnection: POLLY.connection }],
    },
    { token: ALERTS.token, username: ALERTS.username, firstName: "Alerts", webhook: { url: "" }, connections: [] },
  ],
};

const validator = new BotApiValidator(undefined, { serverExtras: SERVER_EXTRAS });
let sandbox: Sandbox;
let recorder: BotApiRecorder;
let transport: Transport & { close(): void };
let settings: TelegramSettings;

beforeAll(async () => {
  sandbox = await startSandbox({ world: parseWorld(world) });
  recorder = await startBotApiRecorder(sandbox.url);
  transport = createTransport();
  settings = { apiRoot: recorder.url, environment: "prod", timeoutMs: 2000 };
});
afterAll(async () => {
  transport?.close();
  await recorder?.close();
  await sandbox?.close();
});
beforeEach(async () => {
  recorder.exchanges.length = 0;
  await control(sandbox.url, "POST", "/reset");
});

/** anna as the monitor watches her: every registered check, the live test in `mode`, PROBE and OUTSIDER as probe chats. */
function anna(mode: "reply" | "outbound", probeChats = [PROBE]): MonitoredBot {
  const options: Record<string, Record<string, unknown>> = { "round-trip": { enabled: true, mode, timeout: "1s" } };
  return {
    name: "anna", token: ANNA.token, username: ANNA.username, ownerId: OWNER, businessConnectionId: ANNA.connection, probeChats, labels: {},
    checks: Object.fromEntries(CHECKS.map((c) => [c.id, c.options.parse(options[c.id] ?? {})])),
  };
}

async function sweep(bot: MonitoredBot): Promise<void> {
  const account = createSandboxTestAccount({ sandboxUrl: sandbox.url, userId: PROBE });
  try {
    await runSweep({ bot, checks: CHECKS, client: new BotClient(bot.token, settings, transport, () => undefined), includeOwnSchedule: true, testAccount: account });
  } finally {
    await account.close();
  }
}

/** The exchanges since the test began, with at least one of each method named. */
function recorded(...methods: string[]): BotApiExchange[] {
  const got = recorder.exchanges.map((e) => e.method);
  for (const method of methods) expect(got, `a ${method} call`).toContain(method);
  return [...recorder.exchanges];
}

describe("the client's requests and the sandbox's answers, validated against the Bot API spec", () => {
  it("when anna is swept with every check and the outbound live test, then every sweep method is called and every request and answer conforms", async () => {
    await sweep(anna("outbound"));
    expect(nonconformities(validator, recorded(...SWEEP_METHODS))).toEqual([]);
  });

  it("when the live test runs in reply mode and a probe chat is outside the scope, then the requests and Telegram's 400s conform", async () => {
    await sweep(anna("reply", [PROBE, OUTSIDER]));
    const exchanges = recorded("sendChatAction");
    expect(exchanges.filter((e) => e.status === 400).map((e) => (e.answer as { description: string }).description)).toContain("Bad Request: BUSINESS_PEER_INVALID");
    expect(nonconformities(validator, exchanges)).toEqual([]);
  });

  it("when the token is revoked, Telegram rate-limits or fails, then the 401, the 429 with parameters.retry_after and the 500 conform", async () => {
    await control(sandbox.url, "PATCH", `/bots/${ANNA.username}`, { revoked: true });
    await sweep(anna("outbound"));
    await control(sandbox.url, "PATCH", `/bots/${ANNA.username}`, { revoked: false });
    await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, methods: ["getMe"], status: 429, retryAfter: 7, count: 1 });
    await sweep(anna("outbound"));
    await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, methods: ["getWebhookInfo"], status: 500, count: 1 });
    await sweep(anna("outbound"));
    const exchanges = recorded("getMe");
    expect(new Set(exchanges.map((e) => e.status))).toEqual(new Set([200, 401, 429, 500]));
    expect(exchanges.find((e) => e.status === 429)?.answer).toMatchObject({ parameters: { retry_after: 7 } });
    expect(nonconformities(validator, exchanges)).toEqual([]);
  });

  it("when the telegram alert channel sends an alert to a chat id, a @channel and a forum topic, then its sendMessage requests conform", async () => {
    const deps = { telegramApiRoot: recorder.url, telegramEnvironment: "prod" as const, timeoutMs: 2000 };
    for (const target of [{ chatId: -1001234567890, threadId: 0 }, { chatId: "@secretary_ops", threadId: 0 }, { chatId: -1001234567890, threadId: 42 }]) {
      const channel = createTelegramChannel("ops", { type: "telegram", botToken: ALERTS.token, ...target, minHealth: "degraded", bots: {} }, deps);
      try {
        await channel.send(alertMessage(), new AbortController().signal).catch(() => undefined);
      } finally {
        await channel.close?.();
      }
    }
    const sent = recorded("sendMessage");
    expect(sent.map((e) => [e.params.chat_id, e.params.parse_mode, e.params.message_thread_id])).toEqual([
      [-1001234567890, "HTML", undefined],
      ["@secretary_ops", "HTML", undefined],
      [-1001234567890, "HTML", 42],
    ]);
    expect(nonconformities(validator, sent)).toEqual([]);
  });

  it("when doctor --discover finds a polling bot's connection, then getWebhookInfo, getUpdates and the doctor's checks conform", async () => {
    const config = parseConfig(JSON.stringify({ telegram: { apiRoot: recorder.url, timeout: "2s" } }), {}, "the conformance test's config");
    const steps = await runDoctor(config, { token: POLLY.token, username: POLLY.username, discover: true }, pino({ level: "silent" }), () => undefined);
    expect(steps[0]).toMatchObject({ status: "ok", message: expect.stringContaining(`found ${POLLY.connection}`) });
    const exchanges = recorded("getUpdates", "getBusinessConnection");
    expect(exchanges.find((e) => e.method === "getUpdates")?.answer).toMatchObject({ ok: true, result: [{ update_id: expect.any(Number), business_connection: { id: POLLY.connection, is_enabled: false } }] });
    expect(nonconformities(validator, exchanges)).toEqual([]);
  });
});

describe("a planted mistake fails the validation", () => {
  const client = () => new BotClient(ANNA.token, settings, transport, () => undefined);
  const call = (method: string, params: Record<string, unknown> = {}) => client().call(method, params).catch(() => undefined);
  const problems = () => nonconformities(validator, recorder.exchanges);

  it("when the sandbox answers a field of the wrong type, then the answer's problem names the field and both types", async () => {
    await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, methods: ["getBusinessConnection"], patchResult: { is_enabled: "false" } });
    await call("getBusinessConnection", { business_connection_id: ANNA.connection });
    expect(problems()).toEqual(['#0 getBusinessConnection → 200 answer: result.is_enabled is a string ("false"), expected Boolean']);
  });

  it("when an optional field is null instead of absent, a required one is missing, or a field is not the spec's, then each is a problem", async () => {
    await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, methods: ["getWebhookInfo"], patchResult: { ip_address: null, pending_updates: 0 } });
    await call("getWebhookInfo");
    await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, methods: ["getMe"], answer: { status: 200, contentType: "application/json", body: '{"ok":true,"result":{"id":7000001,"is_bot":true}}' } });
    await call("getMe");
    expect(problems()).toEqual([
      "#0 getWebhookInfo → 200 answer: result.ip_address is null: an optional field is left out, never null",
      "#0 getWebhookInfo → 200 answer: result.pending_updates is not a field of WebhookInfo",
      "#1 getMe → 200 answer: result.first_name is missing (required by User)",
    ]);
  });

  it("when a nested object has a wrong field, then the path goes down to it", async () => {
    await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, methods: ["getBusinessConnection"], patchResult: { user: { id: "123456789", is_bot: false, first_name: "Anna" } } });
    await call("getBusinessConnection", { business_connection_id: ANNA.connection });
    expect(problems()).toEqual(['#0 getBusinessConnection → 200 answer: result.user.id is a string ("123456789"), expected Integer']);
  });

  it("when the client misspells a parameter, then the request's problems name it, its likely meaning and the required one missing", async () => {
    await call("getBusinessConnection", { business_conection_id: ANNA.connection });
    expect(problems()).toEqual([
      "#0 getBusinessConnection → 400 request: getBusinessConnection parameter business_connection_id is missing (required by getBusinessConnection)",
      "#0 getBusinessConnection → 400 request: getBusinessConnection parameter business_conection_id is not a parameter of getBusinessConnection, did you mean business_connection_id?",
    ]);
  });

  it("when the client sends a parameter of the wrong type or a misspelt method, then the request is a problem", async () => {
    await call("deleteBusinessMessages", { business_connection_id: ANNA.connection, message_ids: ["17"] });
    await call("sendChatAction", { chat_id: true, action: "typing" });
    await call("getBusinesConnection", { business_connection_id: ANNA.connection });
    expect(problems().filter((p) => p.includes("request"))).toEqual([
      '#0 deleteBusinessMessages → 200 request: deleteBusinessMessages parameter message_ids[0] is a string ("17"), expected Integer',
      "#1 sendChatAction → 400 request: sendChatAction parameter chat_id is true, expected Integer or String",
      "#2 getBusinesConnection → 404 request: getBusinesConnection is not a Bot API method",
    ]);
  });

  it("when an error answer breaks the envelope (no description, error_code not the status, retry_after a string), then each is a problem", async () => {
    const answer = (status: number, body: unknown) => ({ bot: ANNA.username, methods: ["getMe"], count: 1, answer: { status, contentType: "application/json", body: JSON.stringify(body) } });
    await control(sandbox.url, "POST", "/faults", answer(400, { ok: false, error_code: 400 }));
    await call("getMe");
    await control(sandbox.url, "POST", "/faults", answer(429, { ok: false, error_code: 400, description: "Too Many Requests: retry after 5", parameters: { retry_after: "5" } }));
    await call("getMe");
    await control(sandbox.url, "POST", "/faults", answer(200, { ok: true, result: { id: 7000001, is_bot: true, first_name: "Anna" }, extra: 1 }));
    await call("getMe");
    expect(problems()).toEqual([
      "#0 getMe → 400 answer: description is missing, expected String",
      "#1 getMe → 429 answer: error_code 400 with HTTP 429: Telegram's error_code is the HTTP status",
      '#1 getMe → 429 answer: parameters.retry_after is a string ("5"), expected Integer',
      '#2 getMe → 200 answer: the answer has "extra", which is none of ok, result, description',
    ]);
  });

  it("when a True is false, a result is of the wrong kind, or a union value fits none of its kinds, then the validator says so", () => {
    expect(validator.value(["True"], false, "result.x")).toEqual(["result.x is false, expected True"]);
    expect(validator.result("deleteBusinessMessages", "true")).toEqual(['result is a string ("true"), expected Boolean']);
    expect(validator.result("getUpdates", [{ update_id: 1, business_connection: { id: "bc", user: { id: 1, is_bot: false, first_name: "A" }, user_chat_id: 1, date: 1.5, is_enabled: true } }])).toEqual([
      "result[0].business_connection.date is the fraction 1.5, expected Integer",
    ]);
    expect(validator.value(["MessageOrigin"], { type: "user", date: 1 }, "origin")[0]).toMatch(/^origin is none of MessageOrigin's kinds \(MessageOriginUser, .*\); closest: origin\.sender_user is missing/);
    expect(validator.value(["Array of Array of Integer"], [[1], [2, "3"]], "rows")).toEqual(['rows[1][1] is a string ("3"), expected Integer']);
  });

  it("when the spec is loaded, then 10.3's additions are there: Message.receiver_user is a User, and a sendMessage may carry ephemeral_message_parameters", () => {
    expect(validator.spec.version).toBe("Bot API 10.3");
    const message = { message_id: 1, date: 1, chat: { id: 1, type: "private" } };
    expect(validator.value(["Message"], { ...message, receiver_user: { id: 2, is_bot: false, first_name: "B" } }, "m")).toEqual([]);
    expect(validator.value(["Message"], { ...message, receiver_user: 2 }, "m")).toEqual(["m.receiver_user is the number 2, expected User"]);
    expect(validator.request("sendMessage", { chat_id: 1, text: "x", ephemeral_message_parameter: {} })[0]).toMatch(/is not a parameter of sendMessage, did you mean ephemeral_message_parameters\?$/);
  });
});
