/**
 * The rights check's scenario table, against a sandbox world over loopback (test/support/check-scenario.ts):
 * every required right granted (either wire name, or the old top-level can_reply), and the Stars balance
 * readable when Gifts and Stars rights are required.
 */
import { describe, expect, it } from "vitest";
import { expectRow, jsonAnswer, OWNER, refusal, UNKNOWN_REMEDIATION, type Row } from "../support/check-scenario.ts";
import { DEFAULT_REQUIRED_RIGHTS } from "../../src/telegram/rights.ts";

const enableThem = expect.stringContaining("Secretary Mode permissions are incomplete");
const starsRefused = expect.stringContaining("Telegram refused to read the account's Stars balance although the rights look granted");
const unknown = expect.stringContaining(UNKNOWN_REMEDIATION);
/** Telegram's server answers getMe from its cache: Business Mode switched off in BotFather may not show there yet. */
const STALE_GET_ME = { methods: ["getMe"], patchResult: { can_connect_to_business: true } };
const ALL_GRANTED = Object.fromEntries(DEFAULT_REQUIRED_RIGHTS.map((right) => [right, true]));
/** The owner's words for a permission, as the owner channel sends them. */
const ownerFix = (id: string, name: string) =>
  expect.objectContaining({ problem: `permission:${id}`, fix: `Open Telegram → Settings → Telegram Business → Chatbots → @anna_secretary_bot and turn on ${name}.` });
const OTHER_RIGHTS = "can_read_messages, can_delete_sent_messages, can_view_gifts_and_stars, can_convert_gifts_to_stars, can_transfer_and_upgrade_gifts, can_transfer_stars";

/** getBusinessConnection's answer with these fields, as the sandbox would send it otherwise. */
const connectionAnswer = (fields: Record<string, unknown>) =>
  jsonAnswer("getBusinessConnection", {
    ok: true,
    result: { id: "bc-anna", user: { id: OWNER, is_bot: false, first_name: "Anna" }, user_chat_id: OWNER, date: 1700000000, is_enabled: true, ...fields },
  });

const ROWS: Row[] = [
  {
    when: "every right of the guide's table is granted and the Stars balance is readable",
    given: {},
    then: { status: "ok", message: "all 7 required rights granted", remediation: undefined },
  },
  {
    when: "a manage-messages right is missing",
    given: { connection: { rights: { can_delete_sent_messages: false } } },
    then: { status: "fail", message: "missing rights: can_delete_sent_messages", remediation: enableThem, impact: "degraded", ownerFixes: [ownerFix("manage-messages", "Manage messages")] },
  },
  {
    when: "can_reply is missing",
    given: { connection: { rights: { can_reply: false, can_transfer_stars: false } } },
    then: {
      status: "fail",
      message: "missing rights: can_reply, can_transfer_stars",
      remediation: enableThem,
      impact: "down",
      ownerFixes: [ownerFix("messages", "Message permissions"), ownerFix("gifts-and-stars", "Manage Gifts and Stars")],
    },
  },
  {
    when: "the required right is named by grammY's alias can_delete_outgoing_messages, twice, and missing",
    given: { connection: { rights: { can_delete_sent_messages: false } }, checks: { rights: { require: ["can_delete_outgoing_messages", "can_delete_sent_messages"] } } },
    then: { status: "fail", message: "missing rights: can_delete_sent_messages", impact: "degraded" },
  },
  {
    when: "the server grants the right under grammY's name can_delete_outgoing_messages",
    given: { faults: [connectionAnswer({ rights: { can_reply: true, can_delete_outgoing_messages: true } })], checks: { rights: { require: ["can_reply", "can_delete_sent_messages"] } } },
    then: { status: "ok", message: "all 2 required rights granted" },
  },
  {
    when: "a right is required twice, once under grammY's name, then it counts once",
    given: { checks: { rights: { require: ["can_reply", "can_reply", "can_delete_outgoing_messages", "can_delete_sent_messages"] } } },
    then: { status: "ok", message: "all 2 required rights granted" },
  },
  {
    when: "a server before Bot API 9.0 sends only the top-level can_reply",
    given: { faults: [connectionAnswer({ can_reply: true })], checks: { rights: { require: ["can_reply"] } } },
    then: { status: "ok", message: "all 1 required rights granted" },
  },
  {
    when: "a server before Bot API 9.0 sends only can_reply and the guide's whole table is required",
    given: { faults: [connectionAnswer({ can_reply: true })] },
    then: { status: "fail", message: `missing rights: ${OTHER_RIGHTS}`, impact: "degraded" },
  },
  {
    when: "the connection's cached answer grants Gifts and Stars but Telegram no longer does (BOT_ACCESS_FORBIDDEN)",
    given: { connection: { rights: { can_view_gifts_and_stars: false } }, faults: [connectionAnswer({ rights: ALL_GRANTED })] },
    then: {
      status: "fail",
      message: "Telegram refused the Stars balance probe (BOT_ACCESS_FORBIDDEN): the bot lacks Manage Gifts and Stars at Telegram",
      remediation: expect.stringContaining("turn Manage Gifts and Stars on"),
      impact: "degraded",
      ownerFixes: [ownerFix("gifts-and-stars", "Manage Gifts and Stars")],
    },
  },
  {
    when: "the connection's cached answer is enabled but the profile disabled it (BUSINESS_CONNECTION_INVALID)",
    given: { connection: { isEnabled: false }, faults: [connectionAnswer({ rights: ALL_GRANTED })] },
    then: {
      status: "fail",
      message: "the Stars balance probe: Telegram no longer accepts business connection bc-anna (BUSINESS_CONNECTION_INVALID): the profile disconnected the bot or connected it anew",
      remediation: expect.stringContaining("record the new business connection id"),
      impact: "down",
      ownerFixes: undefined,
    },
  },
  {
    when: "Business Mode was switched off and getMe and the connection come from the server's cache (BUSINESS_CONNECTION_NOT_ALLOWED)",
    given: { bot: { canConnectToBusiness: false }, faults: [STALE_GET_ME, connectionAnswer({ rights: ALL_GRANTED })] },
    then: {
      status: "fail",
      message: "the Stars balance probe: Telegram does not let the bot act through business connections (BUSINESS_CONNECTION_NOT_ALLOWED): Business Mode is off in BotFather",
      remediation: expect.stringContaining("Return to BotFather, open this exact bot and enable Secretary Mode"),
      impact: "down",
      ownerFixes: undefined,
    },
  },
  {
    when: "Telegram refuses the Stars balance probe for another reason",
    given: { faults: [refusal("getBusinessAccountStarBalance", "Bad Request: something new")] },
    then: { status: "fail", message: "Telegram refused the Stars balance probe: Bad Request: something new", remediation: starsRefused, impact: "degraded", ownerFixes: undefined },
  },
  {
    when: "the Stars balance probe is refused but no Gifts and Stars right is required",
    given: { faults: [refusal("getBusinessAccountStarBalance", "Bad Request: BOT_ACCESS_FORBIDDEN")], checks: { rights: { require: ["can_reply", "can_read_messages"] } } },
    then: { status: "ok", message: "all 2 required rights granted" },
  },
  {
    when: "the Bot API answers the Stars balance probe with 500",
    given: { faults: [{ methods: ["getBusinessAccountStarBalance"], status: 500 }] },
    then: { status: "unknown", message: "getBusinessAccountStarBalance: Internal Server Error", remediation: unknown },
  },
  {
    when: 'the Stars balance is "12" (the answer is not the Bot API\'s)',
    given: { faults: [{ methods: ["getBusinessAccountStarBalance"], patchResult: { amount: "12" } }] },
    then: { status: "unknown", message: "getBusinessAccountStarBalance: result.amount is a string, expected a number", remediation: unknown },
  },
  {
    when: "the connection's rights are an array (the answer is not the Bot API's)",
    given: { faults: [{ methods: ["getBusinessConnection"], patchResult: { rights: [] } }] },
    then: { status: "skipped", message: "skipped: connection did not pass" },
    others: { connection: { status: "unknown", message: "getBusinessConnection: result.rights is an array, expected an object" } },
  },
  {
    when: "the connection is disabled",
    given: { connection: { isEnabled: false } },
    then: { status: "skipped", message: "skipped: connection did not pass", remediation: undefined },
  },
];

describe("the rights check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then rights is ${row.then.status}`, () => expectRow("rights", row));
});
