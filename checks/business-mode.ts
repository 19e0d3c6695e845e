import { z } from "zod";
import { defineCheck, fail, ok } from "../src/runner/define-check.ts";
import { REMEDIATION } from "./remediation.ts";

/** Fails when getMe says the bot cannot connect to Telegram Business (BotFather's Business Mode). */
export const businessMode = defineCheck({
  id: "business-mode",
  title: "Secretary Mode is enabled on this exact bot in BotFather",
  dependsOn: ["token"],
  impact: "down",
  options: z.object({}).strict(),
  async run({ telegram }) {
    const me = await telegram.getMe();
    if (me.can_connect_to_business !== true)
      return fail("Business Mode is off in BotFather for this bot (can_connect_to_business is not true)", REMEDIATION.businessMode);
    return ok();
  },
});
