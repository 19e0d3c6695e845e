import { z } from "zod";
import { defineCheck, fail, ok, warn } from "../src/runner/define-check.ts";
import { TelegramError } from "../src/telegram/errors.ts";
import { REMEDIATION } from "./remediation.ts";

/** Fails when the bot is not attached, no longer enabled, or attached to another profile. */
export const connection = defineCheck({
  id: "connection",
  title: "Bot is connected to the right Telegram profile",
  dependsOn: ["business-mode"],
  impact: "down",
  options: z.object({}).strict(),
  async run({ bot, telegram }) {
    if (!bot.businessConnectionId)
      return warn("no business connection id is recorded for this bot", REMEDIATION.noConnectionId);
    let conn;
    try {
      conn = await telegram.getBusinessConnection();
    } catch (err) {
      if (err instanceof TelegramError && err.is("business connection not found"))
        return fail(`Telegram does not know business connection ${bot.businessConnectionId}: the bot is not connected`, REMEDIATION.notConnected);
      throw err;
    }
    if (!conn.is_enabled)
      return fail("the business connection is disabled: the bot was removed from the profile's chatbots", REMEDIATION.notConnected);
    if (conn.user.id !== bot.ownerId) {
      const who = conn.user.username ? `@${conn.user.username} (id ${conn.user.id})` : `id ${conn.user.id}`;
      return fail(`attached to the wrong Telegram profile: ${who}, expected id ${bot.ownerId}`, REMEDIATION.wrongOwner);
    }
    return ok(`connected to profile id ${conn.user.id}`);
  },
});
