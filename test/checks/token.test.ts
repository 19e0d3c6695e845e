/**
 * The token check's scenario table, against a sandbox world over loopback (test/support/check-scenario.ts):
 * only Telegram's own 401 or 404 says the token is bad; anything that is not Telegram's answer says nothing.
 */
import { describe, expect, it } from "vitest";
import { expectRow, jsonAnswer, UNKNOWN_REMEDIATION, type Row } from "../support/check-scenario.ts";

const revoked = expect.stringContaining("Open @BotFather, pick this bot and copy its current HTTP API token");
const malformed = expect.stringContaining("The configured value is not a bot token");
const unknown = expect.stringContaining(UNKNOWN_REMEDIATION);

const ROWS: Row[] = [
  {
    when: "Telegram accepts the token",
    given: {},
    then: { status: "ok", message: "token accepted for bot id 7000001", remediation: undefined },
  },
  {
    when: "the token is revoked",
    given: { bot: { revoked: true } },
    then: { status: "fail", message: "Telegram answered 401 Unauthorized: the token is revoked or wrong", remediation: revoked, impact: "down" },
    others: { identity: { status: "skipped", message: "skipped: token did not pass" } },
  },
  {
    when: "the token has a token's shape but no bot has it",
    given: { monitored: { token: "7000009:no-such-bot-Zz9" } },
    then: { status: "fail", message: "Telegram answered 401 Unauthorized: the token is revoked or wrong", remediation: revoked },
  },
  {
    when: "the bot lives in Telegram's test environment and the monitor asks prod",
    given: { bot: { environment: "test" } },
    then: { status: "fail", message: "Telegram answered 401 Unauthorized: the token is revoked or wrong", remediation: revoked },
  },
  {
    when: "the configured value is not a token at all",
    given: { monitored: { token: "not-a-token" } },
    then: { status: "fail", message: "Telegram answered 404 Not Found: the token is malformed", remediation: malformed, impact: "down" },
  },
  {
    when: "Telegram refuses getMe with another 4xx",
    given: { faults: [jsonAnswer("getMe", { ok: false, error_code: 403, description: "Forbidden: bot was blocked" }, 403)] },
    then: { status: "fail", message: "Telegram refused getMe: Forbidden: bot was blocked", remediation: expect.stringContaining("See the setup guide") },
  },
  {
    when: "a proxy in front of the Bot API answers its own 401 page",
    given: { faults: [{ methods: ["getMe"], answer: { status: 401 } }] },
    then: { status: "unknown", message: "getMe: HTTP 401 with a text/html body, not a Bot API answer", remediation: unknown },
    others: { identity: { status: "skipped" }, webhook: { status: "skipped" } },
  },
  {
    when: "a proxy in front of the Bot API answers its own 404 page",
    given: { faults: [{ methods: ["getMe"], answer: { status: 404 } }] },
    then: { status: "unknown", message: "getMe: HTTP 404 with a text/html body, not a Bot API answer", remediation: unknown },
  },
  {
    when: "the Bot API answers 500",
    given: { faults: [{ methods: ["getMe"], status: 500 }] },
    then: { status: "unknown", message: "getMe: Internal Server Error", remediation: unknown },
  },
  {
    when: "Telegram's flood control answers 429",
    given: { faults: [{ methods: ["getMe"], status: 429, retryAfter: 5 }] },
    then: { status: "unknown", message: "getMe: Too Many Requests: retry after 5", remediation: unknown },
  },
  {
    when: "getMe gets no answer before the deadline",
    given: { faults: [{ methods: ["getMe"], hang: true }], timeoutMs: 300 },
    then: { status: "unknown", message: "getMe: no answer before the timeout", remediation: unknown },
  },
  {
    when: "the connection is cut",
    given: { faults: [{ methods: ["getMe"], reset: true }] },
    then: { status: "unknown", message: "getMe: network error: ECONNRESET", remediation: unknown },
  },
  {
    when: "getMe's result is malformed (no id)",
    given: { faults: [jsonAnswer("getMe", { ok: true, result: {} })] },
    then: { status: "unknown", message: "getMe: result.id is missing, expected a number", remediation: unknown },
  },
  {
    when: "getMe's answer is {ok: false} without error_code",
    given: { faults: [jsonAnswer("getMe", { ok: false, description: "Unauthorized" })] },
    then: { status: "unknown", message: expect.stringMatching(/^getMe: HTTP 200 with "ok": false and error_code missing/), remediation: unknown },
  },
];

describe("the token check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then token is ${row.then.status}`, () => expectRow("token", row));
});
