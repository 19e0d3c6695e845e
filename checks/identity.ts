import { z } from "zod";
import { defineCheck, fail, ok } from "../src/runner/define-check.ts";
import { REMEDIATION } from "./remediation.ts";

const normalize = (username: string) => username.replace(/^@/, "").toLowerCase();

/** Fails when the token belongs to another bot than the configured username (and bot id). */
export const identity = defineCheck({
  id: "identity",
  title: "The token belongs to this bot (one production bot)",
  dependsOn: ["token"],
  impact: "down",
  options: z.object({}).strict(),
  async run({ bot, telegram }) {
    const me = await telegram.getMe();
    const actual = me.username ?? "";
    if (normalize(actual) !== normalize(bot.username))
      return fail(`the token belongs to ${actual ? `@${actual}` : "a bot without a username"} (id ${me.id}), not @${normalize(bot.username)}`, REMEDIATION.identity);
    if (bot.botId && me.id !== bot.botId)
      return fail(`the token belongs to bot id ${me.id}, not ${bot.botId}`, REMEDIATION.identity);
    return ok(`@${actual} (id ${me.id})`);
  },
});
