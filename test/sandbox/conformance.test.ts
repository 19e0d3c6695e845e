/**
 * Every answer of the sandbox conforms to the Bot API spec (test/fixtures/botapi): the whole demo world,
 * each bot broken in its own way, swept by the real client over loopback through a recording proxy, in
 * both modes of the live test, and every request and answer that crossed the wire validated.
 */
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import { parseConfig, resolveBots } from "../../src/config/load.ts";
import { DEMO_CONFIG, DEMO_WORLD } from "../../src/demo.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { HANDLERS } from "../../src/sandbox/bot-api-methods.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import { BotClient, telegramSettings } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import { createTestAccount } from "../../src/testaccount/create.ts";
import { nonconformities, startBotApiRecorder, type BotApiExchange, type BotApiRecorder } from "../support/bot-api-recorder.ts";
import { BotApiValidator, SERVER_EXTRAS } from "../support/botapi-spec.ts";

const validator = new BotApiValidator(undefined, { serverExtras: SERVER_EXTRAS });

let sandbox: Sandbox;
let recorder: BotApiRecorder;
const swept: Record<"reply" | "outbound", BotApiExchange[]> = { reply: [], outbound: [] };

/** One sweep of every demo bot, all at once, with the live test in `mode`; returns what crossed the wire. */
async function sweepDemoFleet(mode: "reply" | "outbound"): Promise<BotApiExchange[]> {
  const demo = YAML.parse(readFileSync(DEMO_CONFIG, "utf8"));
  demo.telegram = { ...demo.telegram, apiRoot: recorder.url, timeout: "2s" };
  demo.checks["round-trip"] = { ...demo.checks["round-trip"], mode, timeout: "1s", slowAfter: "1s" };
  // The Bot API through the recorder; the webhook endpoints (TLS, not the Bot API) straight at the sandbox.
  const config = parseConfig(JSON.stringify(demo), { SECRETARY_WATCH_SANDBOX_URL: sandbox.url }, "the demo config, on the recorder");
  const transport = createTransport();
  const testAccount = await createTestAccount(config);
  const from = recorder.exchanges.length;
  try {
    await Promise.all(
      resolveBots(config).map((bot) =>
        runSweep({ bot, checks: CHECKS, client: new BotClient(bot.token, telegramSettings(config), transport, () => undefined), includeOwnSchedule: true, ...(testAccount && { testAccount }) }),
      ),
    );
  } finally {
    await testAccount?.close();
    transport.close();
  }
  return recorder.exchanges.slice(from);
}

beforeAll(async () => {
  sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
  recorder = await startBotApiRecorder(sandbox.url);
  swept.reply = await sweepDemoFleet("reply");
  swept.outbound = await sweepDemoFleet("outbound");
}, 30_000);
afterAll(async () => {
  await recorder?.close();
  await sandbox?.close();
});

describe("the sandbox's answers to a sweep of the whole demo world", () => {
  it.each(["reply", "outbound"] as const)("when the demo fleet is swept with the live test in %s mode, then every request and every answer conforms to the Bot API spec", (mode) => {
    const exchanges = swept[mode];
    console.log(`conformance: demo fleet (${mode}): ${exchanges.length} calls, answers ${[...new Set(exchanges.map((e) => e.status))].sort().join(", ")}`);
    expect(nonconformities(validator, exchanges, { nonJson: "skip" })).toEqual([]);
    // The only answers that are not JSON are the demo's proxy fault: nginx's page in front of Telegram.
    const pages = exchanges.filter((e) => e.answer === undefined).map((e) => `${e.status} ${e.contentType.split(";")[0]}`);
    expect(new Set(pages)).toEqual(new Set(["502 text/html"]));
  });

  it("when the sweeps are done, then every Bot API method the sandbox answers was called, except getUpdates (never on a monitored bot), with successes and Telegram's errors", () => {
    const all = [...swept.reply, ...swept.outbound];
    const called = new Set(all.map((e) => e.method));
    expect(Object.keys(HANDLERS).filter((m) => !called.has(m))).toEqual(["getUpdates"]);
    const statuses = new Set(all.map((e) => e.status));
    for (const status of [200, 400, 401, 404]) expect(statuses, `an answer with HTTP ${status}`).toContain(status);
    // Both kinds of answer the live test reads came back successfully at least once.
    for (const method of ["sendMessage", "deleteBusinessMessages", "getBusinessConnection", "getWebhookInfo"]) {
      expect(all.some((e) => e.method === method && e.status === 200), `${method} answered 200`).toBe(true);
    }
  });
});
