/**
 * The connection check's scenario table, against a sandbox world over loopback (test/support/check-scenario.ts):
 * a connection id must be recorded, known to Telegram as this bot's, enabled, and attached to the owner.
 */
import { describe, expect, it } from "vitest";
import { BORIS, expectRow, NAMELESS_OWNER, OTHER_OWNER, refusal, UNKNOWN_REMEDIATION, type Row } from "../support/check-scenario.ts";

/** Telegram's server answers getMe from its cache: Business Mode switched off in BotFather may not show there yet. */
const STALE_GET_ME = { methods: ["getMe"], patchResult: { can_connect_to_business: true } };

const addTheBot = expect.stringContaining("Open Telegram on the account that should own the live Secretary Mode conversations");
const unknown = expect.stringContaining(UNKNOWN_REMEDIATION);

const ROWS: Row[] = [
  {
    when: "the bot is attached to the configured profile",
    given: {},
    then: { status: "ok", message: "connected to profile id 123456789", remediation: undefined },
  },
  {
    when: "no business connection id is recorded",
    given: { monitored: { businessConnectionId: undefined } },
    then: {
      status: "warn",
      message: "no business connection id is recorded for this bot",
      remediation: expect.stringContaining("No real message has been sent yet, so the Secretary connection event has not been created"),
    },
    others: { rights: { status: "skipped", message: "skipped: connection did not pass" }, scope: { status: "skipped" } },
  },
  {
    when: "Telegram answers business connection not found",
    given: { monitored: { businessConnectionId: "bc-gone" } },
    then: { status: "fail", message: "Telegram does not know business connection bc-gone: the bot is not connected", remediation: addTheBot, impact: "down", ownerFixes: undefined },
  },
  {
    when: "the recorded connection is another bot's",
    given: { monitored: { businessConnectionId: BORIS.connection } },
    then: { status: "fail", message: "Telegram does not know business connection bc-boris: the bot is not connected", remediation: addTheBot },
  },
  {
    when: "the connection is disabled (the bot was removed from the profile's chatbots)",
    given: { connection: { isEnabled: false } },
    then: {
      status: "fail",
      message: "the business connection is disabled: the bot was removed from the profile's chatbots",
      remediation: addTheBot,
      impact: "down",
      ownerFixes: [
        {
          problem: "connection",
          issue: "@anna_secretary_bot is no longer connected to your Telegram Business account, so it does not read or answer your chats.",
          fix: "Open Telegram → Settings → Telegram Business → Chatbots and add @anna_secretary_bot again as your chatbot. Check that it is the same bot you use for Secretary Mode.",
          fixed: "@anna_secretary_bot is connected to your Telegram Business account again. Thank you!",
        },
      ],
    },
  },
  {
    when: "the connection is disabled and belongs to another profile",
    given: { connection: { isEnabled: false, userId: OTHER_OWNER } },
    then: { status: "fail", message: "the business connection is disabled: the bot was removed from the profile's chatbots", ownerFixes: undefined },
  },
  {
    when: "the bot is attached to another profile with a username",
    given: { connection: { userId: OTHER_OWNER } },
    then: {
      status: "fail",
      message: "attached to the wrong Telegram profile: @boris_profile (id 100000002), expected id 123456789",
      remediation: expect.stringContaining("The bot is attached to the wrong Telegram profile"),
      impact: "down",
      ownerFixes: undefined,
    },
  },
  {
    when: "the bot is attached to another profile without a username",
    given: { connection: { userId: NAMELESS_OWNER } },
    then: { status: "fail", message: "attached to the wrong Telegram profile: id 100000003, expected id 123456789" },
  },
  {
    when: "Business Mode was switched off and getMe's cached answer does not show it yet (BOT_BUSINESS_MISSING)",
    given: { bot: { canConnectToBusiness: false }, faults: [STALE_GET_ME] },
    then: {
      status: "fail",
      message: "Telegram says the bot is not a business bot (BOT_BUSINESS_MISSING): Business Mode is off in BotFather",
      remediation: expect.stringContaining("Return to BotFather, open this exact bot and enable Secretary Mode (Business Mode)"),
      impact: "down",
      ownerFixes: undefined,
    },
    others: { "business-mode": { status: "ok" }, rights: { status: "skipped" } },
  },
  {
    when: "Telegram no longer accepts the recorded connection id (BUSINESS_CONNECTION_INVALID)",
    given: { faults: [refusal("getBusinessConnection", "Bad Request: BUSINESS_CONNECTION_INVALID")] },
    then: {
      status: "fail",
      message: "Telegram no longer accepts business connection bc-anna (BUSINESS_CONNECTION_INVALID): the profile disconnected the bot or connected it anew",
      remediation: expect.stringContaining("record the new business connection id"),
      impact: "down",
      ownerFixes: undefined,
    },
  },
  {
    when: "Telegram refuses getBusinessConnection for another reason",
    given: { faults: [refusal("getBusinessConnection", "Bad Request: something new")] },
    then: {
      status: "fail",
      message: "Telegram refused getBusinessConnection: Bad Request: something new",
      remediation: expect.stringContaining("See the setup guide"),
      impact: "down",
    },
  },
  {
    when: "the Bot API answers getBusinessConnection with 503 from its proxy",
    given: { faults: [{ methods: ["getBusinessConnection"], status: 503 }] },
    then: { status: "unknown", message: "getBusinessConnection: HTTP 503 with a text/html body, not a Bot API answer", remediation: unknown },
    others: { rights: { status: "skipped" }, scope: { status: "skipped" } },
  },
  {
    when: 'getBusinessConnection says is_enabled: "false" (the answer is not the Bot API\'s)',
    given: { faults: [{ methods: ["getBusinessConnection"], patchResult: { is_enabled: "false" } }] },
    then: { status: "unknown", message: "getBusinessConnection: result.is_enabled is a string, expected a boolean", remediation: unknown },
  },
  {
    when: "getBusinessConnection's user has no id (the answer is not the Bot API's)",
    given: { faults: [{ methods: ["getBusinessConnection"], patchResult: { user: { first_name: "Anna" } } }] },
    then: { status: "unknown", message: "getBusinessConnection: result.user.id is missing, expected a number", remediation: unknown },
  },
  {
    when: "Business Mode is off in BotFather",
    given: { bot: { canConnectToBusiness: false } },
    then: { status: "skipped", message: "skipped: business-mode did not pass", remediation: undefined },
  },
];

describe("the connection check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then connection is ${row.then.status}`, () => expectRow("connection", row));
});
