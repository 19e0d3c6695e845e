/**
 * Issue 12, item 10's footgun: a scope check over many probe chats wrote one message naming every
 * chat (110 KB for 10,000) into /status, the state file and alerts. The message names a few.
 */
import { describe, expect, it } from "vitest";
import { scope } from "../../checks/scope.ts";
import { expectRow, jsonAnswer, OWNER, PROBE, refusal, UNKNOWN_REMEDIATION, type Row } from "../support/check-scenario.ts";
import type { MonitoredBot } from "../../src/model.ts";
import type { CheckContext } from "../../src/runner/define-check.ts";
import type { SweepTelegram } from "../../src/runner/sweep-telegram.ts";
import { TelegramError } from "../../src/telegram/errors.ts";

const CHATS = Array.from({ length: 20 }, (_, i) => 1_000_000_001 + i);

function run(description: (chat: number) => string) {
  const bot: MonitoredBot = { name: "anna", token: "1:x", username: "anna_bot", ownerId: 1, probeChats: CHATS, labels: {}, checks: {} };
  const telegram = {
    sendChatAction: async (chat: number) => {
      throw new TelegramError("sendChatAction", "refused", "400", description(chat));
    },
  } as unknown as SweepTelegram;
  const ctx: CheckContext = { bot, telegram, now: new Date(), signal: new AbortController().signal };
  return scope.run(ctx, scope.defaults);
}

describe("the scope check's message", () => {
  it("when every one of 20 probe chats is outside the scope, then the message names the first five and counts the rest", async () => {
    const verdict = await run(() => "Bad Request: BUSINESS_PEER_INVALID");
    expect(verdict.status).toBe("fail");
    expect(verdict.message).toBe(
      "chat 1000000001, 1000000002, 1000000003, 1000000004, 1000000005 and 15 more is outside the bot's chat accessibility scope (BUSINESS_PEER_INVALID)",
    );
  });

  it("when Telegram refuses every probe with a long description, then the message stays short", async () => {
    const verdict = await run((chat) => `Bad Request: something new for ${chat} ${"x".repeat(5000)}`);
    expect(verdict.status).toBe("fail");
    expect(verdict.message).toMatch(/^Telegram refused the probe in chat 1000000001 \(Bad Request: something new for 1000000001 x+…\), /);
    expect(verdict.message).toMatch(/ and 15 more$/);
    expect(verdict.message!.length).toBeLessThan(1000);
  });
});

/** Telegram's server answers getMe and getBusinessConnection from its cache: what changed since may not show there. */
const STALE_GET_ME = { methods: ["getMe"], patchResult: { can_connect_to_business: true } };
const cachedConnection = jsonAnswer("getBusinessConnection", {
  ok: true,
  result: { id: "bc-anna", user: { id: OWNER, is_bot: false, first_name: "Anna" }, user_chat_id: OWNER, date: 1700000000, is_enabled: true, rights: { can_reply: true } },
});
const QUIET = PROBE + 1;
const OUTSIDE = PROBE + 2;
const includeChat = expect.stringContaining("The chat accessibility scope excludes the conversation you are testing");
const refused = expect.stringContaining("Telegram refused to act in this chat through the business connection");
const writeFirst = expect.stringContaining("send a real message to the profile from this chat");
const unknown = expect.stringContaining(UNKNOWN_REMEDIATION);
const outside = (chats: string) => `chat ${chats} is outside the bot's chat accessibility scope (BUSINESS_PEER_INVALID)`;

/** The "typing" probe in each chat, against a sandbox world over loopback (test/support/check-scenario.ts). */
const ROWS: Row[] = [
  {
    when: "no probe chats are configured",
    given: { monitored: { probeChats: [] } },
    then: { status: "skipped", message: "no probeChats configured", remediation: undefined },
  },
  {
    when: "every probe chat is in scope and wrote recently",
    given: { connection: { recentInbound: [PROBE, QUIET] }, monitored: { probeChats: [PROBE, QUIET] } },
    then: { status: "ok", message: "2 probe chat(s) in scope", remediation: undefined },
  },
  {
    when: "Telegram answers BUSINESS_PEER_INVALID for a chat outside the scope",
    given: { connection: { excludedChats: [PROBE] } },
    then: {
      status: "fail",
      message: outside(String(PROBE)),
      remediation: includeChat,
      impact: "degraded",
      ownerFixes: [
        {
          problem: "scope",
          issue: "Some chats @anna_secretary_bot should answer are outside the chats it may access, so they remain invisible to it.",
          fix: "Open Telegram → Settings → Telegram Business → Chatbots → @anna_secretary_bot and change which chats it can access so that all the chats it should answer are included.",
          fixed: "@anna_secretary_bot can access all the chats it should answer again. Thank you!",
        },
      ],
    },
  },
  {
    when: "Telegram answers BUSINESS_PEER_USAGE_MISSING for a chat with no recent inbound message",
    given: { monitored: { probeChats: [QUIET] } },
    then: { status: "warn", message: `no recent inbound message in chat ${QUIET} (BUSINESS_PEER_USAGE_MISSING)`, remediation: writeFirst, ownerFixes: undefined },
  },
  {
    when: "one chat is outside the scope and another has no recent inbound message",
    given: { connection: { excludedChats: [OUTSIDE] }, monitored: { probeChats: [PROBE, QUIET, OUTSIDE] } },
    then: { status: "fail", message: outside(String(OUTSIDE)), remediation: includeChat },
  },
  {
    when: "Telegram refuses the probe with BOT_ACCESS_FORBIDDEN (can_reply is off)",
    given: { connection: { rights: { can_reply: false } } },
    then: {
      status: "fail",
      message: `Telegram refused the probe in chat ${PROBE} (BOT_ACCESS_FORBIDDEN): the bot lacks message permissions`,
      remediation: expect.stringContaining("turn on message permissions"),
      impact: "degraded",
      ownerFixes: [expect.objectContaining({ problem: "permission:messages", fix: "Open Telegram → Settings → Telegram Business → Chatbots → @anna_secretary_bot and turn on Message permissions." })],
    },
    // The rights check sees the same cause: the owner channel tells it once (one problem).
    others: { rights: { status: "fail", ownerFixes: [expect.objectContaining({ problem: "permission:messages" })] } },
  },
  {
    when: "the connection's cached answer is enabled but the profile disabled it (BUSINESS_CONNECTION_INVALID)",
    given: { connection: { isEnabled: false }, faults: [cachedConnection] },
    then: {
      status: "fail",
      message: `the probe in chat ${PROBE}: Telegram no longer accepts business connection bc-anna (BUSINESS_CONNECTION_INVALID): the profile disconnected the bot or connected it anew`,
      remediation: expect.stringContaining("record the new business connection id"),
      impact: "down",
      ownerFixes: undefined,
    },
  },
  {
    when: "Business Mode was switched off and getMe and the connection come from the server's cache (BUSINESS_CONNECTION_NOT_ALLOWED)",
    given: { bot: { canConnectToBusiness: false }, faults: [STALE_GET_ME, cachedConnection] },
    then: {
      status: "fail",
      message: `the probe in chat ${PROBE}: Telegram does not let the bot act through business connections (BUSINESS_CONNECTION_NOT_ALLOWED): Business Mode is off in BotFather`,
      remediation: expect.stringContaining("Return to BotFather"),
      impact: "down",
    },
  },
  {
    when: "Telegram refuses the probe in one chat and another has no recent inbound message",
    given: { faults: [{ ...refusal("sendChatAction", "Bad Request: CHAT_WRITE_FORBIDDEN"), count: 1 }], monitored: { probeChats: [PROBE, QUIET] } },
    then: { status: "fail", message: `Telegram refused the probe in chat ${PROBE} (Bad Request: CHAT_WRITE_FORBIDDEN)`, remediation: refused },
  },
  {
    when: "Telegram refuses the probe in one chat and another is outside the scope",
    given: {
      faults: [{ ...refusal("sendChatAction", "Bad Request: CHAT_WRITE_FORBIDDEN"), count: 1 }],
      connection: { excludedChats: [OUTSIDE] },
      monitored: { probeChats: [PROBE, OUTSIDE] },
    },
    then: { status: "fail", message: outside(String(OUTSIDE)), remediation: includeChat },
  },
  {
    when: "the Bot API answers the probe with 502 from its proxy",
    given: { faults: [{ methods: ["sendChatAction"], status: 502 }] },
    then: { status: "unknown", message: "sendChatAction: HTTP 502 with a text/html body, not a Bot API answer", remediation: unknown },
  },
  {
    when: "the probe gets no answer before the deadline",
    given: { faults: [{ methods: ["sendChatAction"], hang: true }], timeoutMs: 300 },
    then: { status: "unknown", message: "sendChatAction: no answer before the timeout", remediation: unknown },
  },
  {
    when: "the probe's result is false instead of true (the answer is not the Bot API's)",
    given: { faults: [jsonAnswer("sendChatAction", { ok: true, result: false })] },
    then: { status: "unknown", message: "sendChatAction: result is a boolean, expected true", remediation: unknown },
  },
  {
    when: "the connection is disabled",
    given: { connection: { isEnabled: false } },
    then: { status: "skipped", message: "skipped: connection did not pass", remediation: undefined },
  },
];

describe("the scope check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then scope is ${row.then.status}`, () => expectRow("scope", row));
});
