/**
 * Issue 12, item 10's footgun: a scope check over many probe chats wrote one message naming every
 * chat (110 KB for 10,000) into /status, the state file and alerts. The message names a few.
 */
import { describe, expect, it } from "vitest";
import { scope } from "../../checks/scope.ts";
import { expectRow, jsonAnswer, PROBE, refusal, UNKNOWN_REMEDIATION, type Row } from "../support/check-scenario.ts";
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
    then: { status: "fail", message: outside(String(PROBE)), remediation: includeChat, impact: "degraded" },
  },
  {
    when: "Telegram answers BUSINESS_PEER_USAGE_MISSING for a chat with no recent inbound message",
    given: { monitored: { probeChats: [QUIET] } },
    then: { status: "warn", message: `no recent inbound message in chat ${QUIET} (BUSINESS_PEER_USAGE_MISSING)`, remediation: writeFirst },
  },
  {
    when: "one chat is outside the scope and another has no recent inbound message",
    given: { connection: { excludedChats: [OUTSIDE] }, monitored: { probeChats: [PROBE, QUIET, OUTSIDE] } },
    then: { status: "fail", message: outside(String(OUTSIDE)), remediation: includeChat },
  },
  {
    when: "Telegram refuses the probe with BOT_ACCESS_FORBIDDEN (can_reply is off)",
    given: { connection: { rights: { can_reply: false } } },
    then: { status: "fail", message: `Telegram refused the probe in chat ${PROBE} (Bad Request: BOT_ACCESS_FORBIDDEN)`, remediation: refused, impact: "degraded" },
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
