/**
 * The identity check's scenario table, against a sandbox world over loopback (test/support/check-scenario.ts):
 * the token must belong to the configured username (case and a leading @ aside) and, when given, bot id.
 */
import { describe, expect, it } from "vitest";
import { expectRow, jsonAnswer, type Row } from "../support/check-scenario.ts";

const wrongBot = expect.stringContaining("The token belongs to a different bot than the one you enabled in BotFather");

const ROWS: Row[] = [
  {
    when: "the token belongs to the configured bot",
    given: {},
    then: { status: "ok", message: "@anna_secretary_bot (id 7000001)", remediation: undefined },
  },
  {
    when: "the configured username differs in case and has a leading @",
    given: { monitored: { username: "@Anna_Secretary_Bot" } },
    then: { status: "ok", message: "@anna_secretary_bot (id 7000001)" },
  },
  {
    when: "the configured bot id matches the token's bot",
    given: { monitored: { botId: 7000001 } },
    then: { status: "ok", message: "@anna_secretary_bot (id 7000001)" },
  },
  {
    when: "the token belongs to another bot than the configured username",
    given: { monitored: { username: "@Other_Secretary_Bot" } },
    then: { status: "fail", message: "the token belongs to @anna_secretary_bot (id 7000001), not @other_secretary_bot", remediation: wrongBot, impact: "down" },
  },
  {
    when: "the bot was renamed in Telegram",
    given: { bot: { username: "anna_renamed_bot" } },
    then: { status: "fail", message: "the token belongs to @anna_renamed_bot (id 7000001), not @anna_secretary_bot", remediation: wrongBot },
  },
  {
    when: "the token's bot has the configured username but another bot id",
    given: { monitored: { botId: 7000002 } },
    then: { status: "fail", message: "the token belongs to bot id 7000001, not 7000002", remediation: wrongBot, impact: "down" },
  },
  {
    when: "getMe's result has no username",
    given: { faults: [jsonAnswer("getMe", { ok: true, result: { id: 7000001, is_bot: true, first_name: "Anna", can_connect_to_business: true } })] },
    then: { status: "fail", message: "the token belongs to a bot without a username (id 7000001), not @anna_secretary_bot", remediation: wrongBot },
  },
  {
    when: "the token is revoked",
    given: { bot: { revoked: true } },
    then: { status: "skipped", message: "skipped: token did not pass", remediation: undefined },
    others: { token: { status: "fail" } },
  },
  {
    when: "getMe's username is not a string (the answer is not the Bot API's)",
    given: { faults: [{ methods: ["getMe"], patchResult: { username: 42 } }] },
    then: { status: "skipped", message: "skipped: token did not pass" },
    others: { token: { status: "unknown", message: "getMe: result.username is the number 42, expected a string" } },
  },
];

describe("the identity check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then identity is ${row.then.status}`, () => expectRow("identity", row));
});
