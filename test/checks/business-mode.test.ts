/**
 * The business-mode check's scenario table, against a sandbox world over loopback
 * (test/support/check-scenario.ts): getMe's can_connect_to_business must be exactly true.
 */
import { describe, expect, it } from "vitest";
import { expectRow, jsonAnswer, type Row } from "../support/check-scenario.ts";

const turnOn = expect.stringContaining("Return to BotFather, open this exact bot and enable Secretary Mode (Business Mode)");
const off = "Business Mode is off in BotFather for this bot (can_connect_to_business is not true)";

const ROWS: Row[] = [
  {
    when: "Business Mode is on in BotFather",
    given: {},
    then: { status: "ok", message: undefined, remediation: undefined },
  },
  {
    when: "Business Mode is off in BotFather",
    given: { bot: { canConnectToBusiness: false } },
    then: { status: "fail", message: off, remediation: turnOn, impact: "down" },
    others: { connection: { status: "skipped", message: "skipped: business-mode did not pass" } },
  },
  {
    when: "getMe leaves can_connect_to_business out",
    given: { faults: [jsonAnswer("getMe", { ok: true, result: { id: 7000001, is_bot: true, first_name: "Anna", username: "anna_secretary_bot" } })] },
    then: { status: "fail", message: off, remediation: turnOn },
  },
  {
    when: 'getMe says can_connect_to_business: "true" (the answer is not the Bot API\'s)',
    given: { faults: [{ methods: ["getMe"], patchResult: { can_connect_to_business: "true" } }] },
    then: { status: "skipped", message: "skipped: token did not pass" },
    others: { token: { status: "unknown", message: "getMe: result.can_connect_to_business is a string, expected a boolean" } },
  },
  {
    when: "the token is revoked",
    given: { bot: { revoked: true } },
    then: { status: "skipped", message: "skipped: token did not pass", remediation: undefined },
  },
];

describe("the business-mode check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then business-mode is ${row.then.status}`, () => expectRow("business-mode", row));
});
