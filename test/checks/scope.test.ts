/**
 * Issue 12, item 10's footgun: a scope check over many probe chats wrote one message naming every
 * chat (110 KB for 10,000) into /status, the state file and alerts. The message names a few.
 */
import { describe, expect, it } from "vitest";
import { scope } from "../../checks/scope.ts";
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
