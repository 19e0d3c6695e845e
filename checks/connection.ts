import { z } from "zod";
import { defineCheck, fail, forOwner, ok, warn } from "../src/runner/define-check.ts";
import { connectionRefusal } from "./business-refusal.ts";
import { OWNER_FIX, REMEDIATION } from "./remediation.ts";

/** Fails when the bot is not attached, no longer enabled, or attached to another profile. */
export const connection = defineCheck({
  id: "connection",
  title: "The bot is connected to the Telegram profile that owns the conversations",
  dependsOn: ["business-mode"],
  impact: "down",
  options: z.object({}).strict(),
  doctor: {
    // Without --owner, the profile the bot is attached to is taken from the connection, and the
    // operator is asked to confirm it is the right one. When the connection cannot be read, this
    // step says why when it runs.
    async infer(bot, telegram) {
      if (bot.ownerId !== undefined || !bot.businessConnectionId) return undefined;
      const user = await telegram.getBusinessConnection().then((c) => c.user, () => undefined);
      if (!user) return undefined;
      return {
        bot: { ownerId: user.id },
        confirm: {
          message: `connected to ${profileName(user)}; pass --owner ${user.id} to confirm it is the right profile`,
          remediation: REMEDIATION.confirmInferredOwner,
        },
      };
    },
  },
  async run({ bot, telegram }) {
    if (!bot.businessConnectionId)
      return warn("no business connection id is recorded for this bot", REMEDIATION.noConnectionId);
    let conn;
    try {
      conn = await telegram.getBusinessConnection();
    } catch (err) {
      const refused = connectionRefusal(err, bot.businessConnectionId);
      if (refused) return refused;
      throw err;
    }
    // Only the owner can add the bot back; a bot attached to another profile is the platform's to sort
    // out (its owner is not the person to write to), and an unknown id may be the platform's mistake.
    if (!conn.is_enabled) {
      const disabled = fail("the business connection is disabled: the bot was removed from the profile's chatbots", REMEDIATION.notConnected);
      return conn.user.id === bot.ownerId ? forOwner(disabled, OWNER_FIX.disconnected(bot.username)) : disabled;
    }
    if (conn.user.id !== bot.ownerId) {
      return fail(`attached to the wrong Telegram profile: ${profileName(conn.user)}, expected id ${bot.ownerId}`, REMEDIATION.wrongOwner);
    }
    return ok(`connected to profile id ${conn.user.id}`);
  },
});

/** A Telegram profile as the operator recognizes it: its @username when it has one, and its id. */
function profileName(user: { id: number; username?: string }): string {
  return user.username ? `@${user.username} (id ${user.id})` : `id ${user.id}`;
}
