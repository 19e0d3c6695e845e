import { z } from "zod";
import { defineCheck, fail, forOwner, ok, skip, warn } from "../src/runner/define-check.ts";
import { businessError } from "../src/telegram/business-errors.ts";
import { TelegramError } from "../src/telegram/errors.ts";
import { permissionOf } from "../src/telegram/rights.ts";
import { connectionRefusal } from "./business-refusal.ts";
import { OWNER_FIX, REMEDIATION } from "./remediation.ts";

/**
 * Probes each configured chat with a "typing" action through the business connection. Telegram
 * exposes no scope setting to bots; its answer to this probe is the only way to see it.
 */
export const scope = defineCheck({
  id: "scope",
  title: "The chat accessibility scope includes the test chat",
  dependsOn: ["connection"],
  impact: "degraded",
  options: z.object({}).strict(),
  async run({ bot, telegram }) {
    if (bot.probeChats.length === 0) return skip("no probeChats configured");
    const excluded: number[] = [];
    const quiet: number[] = [];
    const forbidden: number[] = [];
    const refused: string[] = [];
    for (const chat of bot.probeChats) {
      try {
        await telegram.sendChatAction(chat);
      } catch (err) {
        if (!(err instanceof TelegramError) || err.unreachable) throw err;
        // About the connection as a whole: every other chat would say the same.
        const whole = connectionRefusal(err, bot.businessConnectionId ?? "", `the probe in chat ${chat}`);
        if (whole) return whole;
        const named = businessError(err);
        if (named === "peerInvalid") excluded.push(chat);
        else if (named === "peerUsageMissing") quiet.push(chat);
        else if (named === "accessForbidden") forbidden.push(chat);
        else refused.push(`${chat} (${clipped(err.description)})`);
      }
    }
    if (excluded.length > 0) {
      const verdict = fail(`chat ${listed(excluded)} is outside the bot's chat accessibility scope (BUSINESS_PEER_INVALID)`, REMEDIATION.scopeExcluded);
      return forOwner(verdict, OWNER_FIX.scope(bot.username));
    }
    if (forbidden.length > 0) {
      const verdict = fail(`Telegram refused the probe in chat ${listed(forbidden)} (BOT_ACCESS_FORBIDDEN): the bot lacks message permissions`, REMEDIATION.scopeForbidden);
      return forOwner(verdict, OWNER_FIX.permission(bot.username, permissionOf("can_reply")));
    }
    if (refused.length > 0) return fail(`Telegram refused the probe in chat ${listed(refused)}`, REMEDIATION.scopeRefused);
    if (quiet.length > 0)
      return warn(`no recent inbound message in chat ${listed(quiet)} (BUSINESS_PEER_USAGE_MISSING)`, REMEDIATION.scopeNoInbound);
    return ok(`${bot.probeChats.length} probe chat(s) in scope`);
  },
});

/** Chats named in a message: the first few, then how many more. The message goes into /status, the state file and alerts. */
const LISTED_CHATS = 5;
/** Telegram's description of a refusal, as quoted per chat. */
const DESCRIPTION_CHARS = 120;

function listed(items: ReadonlyArray<number | string>): string {
  const shown = items.slice(0, LISTED_CHATS).join(", ");
  return items.length > LISTED_CHATS ? `${shown} and ${items.length - LISTED_CHATS} more` : shown;
}

function clipped(text: string): string {
  return text.length > DESCRIPTION_CHARS ? `${text.slice(0, DESCRIPTION_CHARS - 1)}…` : text;
}
