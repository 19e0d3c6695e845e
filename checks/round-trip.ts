import { randomBytes } from "node:crypto";
import { Histogram } from "prom-client";
import { z } from "zod";
import { defineCheck, fail, ok, skip, warn, type Verdict } from "../src/runner/define-check.ts";
import { durationBetween } from "../src/config/duration.ts";
import { TelegramError } from "../src/telegram/errors.ts";
import { TestAccountTimeout, type TestAccount } from "../src/testaccount/types.ts";
import type { SweepTelegram } from "../src/runner/sweep-telegram.ts";
import type { BotTarget } from "../src/check-model.ts";
import { REMEDIATION } from "./remediation.ts";

/** The options a live test reads, and the sweep's signal: a stop ends the wait for the answer. */
type Options = { mode: "reply" | "outbound"; timeout: number; slowAfter: number; signal: AbortSignal };

/**
 * The setup guide's live test, on a schedule: a real message goes in and a reply comes out. API
 * checks cannot see that the bot's backend (its AI, its webhook handler) actually answers; this can.
 * It runs on its own, slower interval (`interval`), not in every sweep.
 */
export const roundTrip = defineCheck({
  id: "round-trip",
  title: "Live test: a message goes in and a reply comes out",
  dependsOn: ["connection"],
  impact: "down",
  // A real message to a real profile: only when asked for, on its own interval, with the test account.
  enabledByDefault: false,
  ownInterval: (options) => options.interval,
  needsTestAccount: true,
  // The guide asks for both directions before the setup is complete.
  doctor: {
    steps: [
      { title: "Live inbound test: a real message to the profile gets a reply", options: { mode: "reply" } },
      { title: "Live outbound test: a message sent through the bot reaches Telegram", options: { mode: "outbound" } },
    ],
  },
  options: z
    .object({
      mode: z.enum(["reply", "outbound"]).default("reply"),
      interval: durationBetween(1_000, 86_400_000).default(15 * 60_000).describe("1s to 1d"),
      timeout: durationBetween(1_000, 10 * 60_000).default(120_000).describe("1s to 10m"),
      slowAfter: durationBetween(0, 10 * 60_000).default(30_000).describe("0s to 10m"),
    })
    .strict()
    .describe("Live test through a Telegram test account (testAccount), on its own interval"),
  metrics(registers) {
    const duration = new Histogram({
      name: "secretary_roundtrip_duration_seconds",
      help: "Time from the test account's message (or the bot's, outbound) to the answer arriving.",
      labelNames: ["bot", "mode"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers,
    });
    return {
      observe(bot, result, options) {
        if (result.latencyMs !== undefined) duration.observe({ bot: bot.name, mode: options.mode }, result.latencyMs / 1000);
      },
    };
  },
  async run({ bot, telegram, testAccount, signal }, options) {
    if (!testAccount) return skip("no test account configured (testAccount.session)");
    const nonce = `secretary-watch round-trip ${randomBytes(6).toString("hex")}`;
    const wait = { ...options, signal };
    return options.mode === "reply" ? reply(bot, testAccount, nonce, wait) : outbound(bot, telegram, testAccount, nonce, wait);
  },
});

/** The test account writes to the owner's profile; any answer from the profile counts. */
async function reply(bot: BotTarget, account: TestAccount, nonce: string, o: Options): Promise<Verdict> {
  const expectation = account.expect({ from: bot.ownerId, timeoutMs: o.timeout, signal: o.signal });
  let sent: { messageId: number } | undefined;
  try {
    sent = await account.sendText(bot.ownerId, nonce);
    const started = performance.now();
    await expectation.message;
    return timed(performance.now() - started, o, "reply");
  } catch (err) {
    if (err instanceof TestAccountTimeout)
      return fail(
        `the Secretary connection looks fine, but no reply came from the profile within ${seconds(o.timeout)} s of a message from the test account`,
        REMEDIATION.roundTripSilent,
      );
    throw err;
  } finally {
    expectation.cancel();
    if (sent) await account.deleteMessages(bot.ownerId, [sent.messageId]).catch(() => undefined);
  }
}

/** The bot sends through its business connection; the test account must receive it. */
async function outbound(bot: BotTarget, telegram: SweepTelegram, account: TestAccount, nonce: string, o: Options): Promise<Verdict> {
  const expectation = account.expect({ from: bot.ownerId, match: (m) => m.text.includes(nonce), timeoutMs: o.timeout, signal: o.signal });
  let messageId: number | undefined;
  try {
    const started = performance.now();
    try {
      messageId = (await telegram.sendBusinessMessage(account.userId, nonce)).message_id;
    } catch (err) {
      if (err instanceof TelegramError && !err.unreachable)
        return fail(`Telegram refused to send through the business connection: ${err.description}`, REMEDIATION.roundTripRefused);
      throw err;
    }
    await expectation.message;
    return timed(performance.now() - started, o, "outbound");
  } catch (err) {
    if (err instanceof TestAccountTimeout)
      return fail(
        `Telegram accepted the message, but the test account did not receive it within ${seconds(o.timeout)} s`,
        REMEDIATION.roundTripNotDelivered,
      );
    throw err;
  } finally {
    expectation.cancel();
    if (messageId !== undefined) await telegram.deleteBusinessMessages([messageId]).catch(() => undefined);
  }
}

function timed(latencyMs: number, o: Options, what: string): Verdict {
  const verdict =
    latencyMs > o.slowAfter
      ? warn(`${what} took ${seconds(latencyMs)} s (slower than ${seconds(o.slowAfter)} s)`, REMEDIATION.roundTripSlow)
      : ok(`${what} in ${seconds(latencyMs)} s`);
  return { ...verdict, latencyMs };
}

const seconds = (ms: number) => (Math.round(ms / 100) / 10).toString();
