/**
 * The scenario runner of the check tests (test/checks/<id>.test.ts), the way blackbox_exporter tests its
 * probers against real listeners: a sandbox on loopback with a small world (one healthy Secretary bot,
 * anna, changed through the control API as the scenario says), one sweep of anna through the real client
 * (BotClient over the real transport, runSweep with every registered check), and the results out.
 * Nothing is mocked: a check sees exactly what it would see from Telegram.
 */
import { CHECKS } from "../../checks/index.ts";
import type { BotStatus, CheckResult, MonitoredBot } from "../../src/model.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { startSandbox } from "../../src/sandbox/server.ts";
import { BotClient, type TelegramSettings } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { DEFAULT_REQUIRED_RIGHTS } from "../../src/telegram/rights.ts";
import { createSandboxTestAccount } from "../../src/testaccount/sandbox.ts";
import { expect } from "vitest";
import { control, PROBE } from "./healthy-fleet.ts";

export { PROBE };
/** Anna's Telegram Business profile, the owner her connection belongs to. */
export const OWNER = 123456789;
/** Another profile, with a username. */
export const OTHER_OWNER = 100000002;
/** Another profile, without a username. */
export const NAMELESS_OWNER = 100000003;
export const ANNA = { token: "7000001:demo-anna-Xk2v9", id: 7000001, username: "anna_secretary_bot", connection: "bc-anna" } as const;
/** A second bot of the world, with a connection of its own (another bot's connection id). */
export const BORIS = { token: "7000002:demo-boris-Pq3w8", username: "boris_secretary_bot", connection: "bc-boris" } as const;

/** Every right the checks require by default (the guide's permission table). */
const ALL_RIGHTS = Object.fromEntries(DEFAULT_REQUIRED_RIGHTS.map((right) => [right, true]));

export interface Scenario {
  /** PATCH /_sandbox/bots/anna_secretary_bot: e.g. `{ revoked: true }`, `{ webhook: { url: "" } }`. */
  bot?: Record<string, unknown>;
  /** PATCH of anna's connection bc-anna: e.g. `{ isEnabled: false }`, `{ rights: { can_reply: false } }`. */
  connection?: Record<string, unknown>;
  /** POST /_sandbox/faults bodies, each on anna's calls unless it names another bot. */
  faults?: Record<string, unknown>[];
  /** The monitored bot's fields instead of the healthy ones (token, username, botId, businessConnectionId, probeChats…). */
  monitored?: Partial<Omit<MonitoredBot, "checks">>;
  /** Options per check id, parsed by that check's own schema (defaults filled in), as config resolution does. */
  checks?: Record<string, Record<string, unknown>>;
  /** Which Bot API environment the monitor asks (default prod). */
  environment?: TelegramSettings["environment"];
  /** The per-call deadline (default 1 s). */
  timeoutMs?: number;
  /** A sandbox test account acting as the probe user, for the live test. */
  testAccount?: boolean;
}

export interface ScenarioOutcome {
  status: BotStatus;
  /** The result of one check; throws when the sweep has none (the check was left out). */
  result(check: string): CheckResult;
}

/** The healthy world: anna answers every check `ok`, her backend replies; boris is there to own another connection. */
function healthyWorld() {
  return {
    latencyMs: 0,
    users: [
      { id: PROBE, firstName: "Probe" },
      { id: OWNER, firstName: "Anna", username: "anna_profile" },
      { id: OTHER_OWNER, firstName: "Boris", username: "boris_profile" },
      { id: NAMELESS_OWNER, firstName: "Nameless" },
    ],
    bots: [],
    faults: [],
  };
}

const healthyBots = [
  {
    token: ANNA.token,
    username: ANNA.username,
    firstName: "Anna's Secretary",
    webhook: { url: "https://bots.example.com/anna" },
    backend: { delayMs: 50 },
    connections: [{ id: ANNA.connection, userId: OWNER, rights: ALL_RIGHTS, recentInbound: [PROBE] }],
  },
  {
    token: BORIS.token,
    username: BORIS.username,
    firstName: "Boris's Secretary",
    webhook: { url: "https://bots.example.com/boris" },
    connections: [{ id: BORIS.connection, userId: OTHER_OWNER, rights: ALL_RIGHTS }],
  },
];

/**
 * What the monitor is configured with for anna, options parsed by each registered check's schema. The
 * world's webhook host is served by the sandbox (its endpoints share its port): webhook-endpoint connects there.
 */
function monitoredBot(scenario: Scenario, sandboxUrl: string): MonitoredBot {
  const unknownIds = Object.keys(scenario.checks ?? {}).filter((id) => !CHECKS.some((c) => c.id === id));
  if (unknownIds.length > 0) throw new Error(`scenario options for unregistered check(s): ${unknownIds.join(", ")}`);
  const defaults: Record<string, Record<string, unknown>> = { "webhook-endpoint": { connectTo: { "bots.example.com:443": sandboxUrl } } };
  const checks: MonitoredBot["checks"] = Object.fromEntries(CHECKS.map((c) => [c.id, c.options.parse({ ...defaults[c.id], ...scenario.checks?.[c.id] })]));
  return {
    name: "anna",
    token: ANNA.token,
    username: ANNA.username,
    ownerId: OWNER,
    businessConnectionId: ANNA.connection,
    probeChats: [PROBE],
    labels: {},
    ...scenario.monitored,
    checks,
  };
}

/** Runs one scenario: its own sandbox world, one sweep of anna with every registered check, everything closed after. */
export async function sweepScenario(scenario: Scenario = {}): Promise<ScenarioOutcome> {
  const sandbox = await startSandbox({ world: healthyWorld() });
  const transport = createTransport();
  const account = scenario.testAccount ? createSandboxTestAccount({ sandboxUrl: sandbox.url, userId: PROBE }) : undefined;
  try {
    for (const bot of healthyBots) await control(sandbox.url, "POST", "/bots", bot);
    if (scenario.bot) await control(sandbox.url, "PATCH", `/bots/${ANNA.username}`, scenario.bot);
    if (scenario.connection) await control(sandbox.url, "PATCH", `/bots/${ANNA.username}/connections/${ANNA.connection}`, scenario.connection);
    for (const fault of scenario.faults ?? []) await control(sandbox.url, "POST", "/faults", { bot: ANNA.username, ...fault });

    const bot = monitoredBot(scenario, sandbox.url);
    const settings: TelegramSettings = { apiRoot: sandbox.url, environment: scenario.environment ?? "prod", timeoutMs: scenario.timeoutMs ?? 1000 };
    const client = new BotClient(bot.token, settings, transport, () => undefined);
    const status = await runSweep({ bot, checks: CHECKS, client, includeOwnSchedule: true, ...(account && { testAccount: account }) });
    return {
      status,
      result(check) {
        const found = status.checks.find((c) => c.check === check);
        if (!found) throw new Error(`the sweep has no ${check} result; it has ${status.checks.map((c) => c.check).join(", ")}`);
        return found;
      },
    };
  } finally {
    await account?.close();
    await sandbox.close();
    transport.close();
  }
}

/** The remediation of every `unknown`: nothing is known to be wrong with the bot. */
export const UNKNOWN_REMEDIATION = "the monitor could not get an answer from Telegram";

/** A fault answering instead of the Bot API with this JSON (a Telegram error, or an answer of the wrong shape). */
export const jsonAnswer = (method: string, body: unknown, status = 200) => ({
  methods: [method],
  answer: { status, contentType: "application/json", body: JSON.stringify(body) },
});

/** A fault answering Telegram's own 400 with this description. */
export const refusal = (method: string, description: string) => jsonAnswer(method, { ok: false, error_code: 400, description }, 400);

/** What a result must have: its status, and message, remediation and impact where a row says. */
export type Expected = { status: CheckResult["status"] } & { [K in Exclude<keyof CheckResult, "status">]?: unknown };

/** One row of a check's scenario table: the world, and what the check (and, where it matters, others) must say. */
export interface Row {
  when: string;
  given: Scenario;
  then: Expected;
  /** Other checks' results the row is about (what made this one skipped, say). */
  others?: Record<string, Expected>;
}

/** Runs a row's scenario and asserts what it says of `check` and of the others it names. */
export async function expectRow(check: string, row: Row): Promise<ScenarioOutcome> {
  const outcome = await sweepScenario(row.given);
  expect(outcome.result(check)).toMatchObject(row.then);
  for (const [other, expected] of Object.entries(row.others ?? {})) expect(outcome.result(other), other).toMatchObject(expected);
  return outcome;
}
