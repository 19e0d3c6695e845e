import { z } from "zod";
import { defineCheck, fail, ok } from "../src/runner/define-check.ts";
import { TelegramError } from "../src/telegram/errors.ts";
import { REMEDIATION } from "./remediation.ts";

/** Fails when Telegram rejects the token: revoked or wrong (401), or not a token at all (404). */
export const token = defineCheck({
  id: "token",
  title: "The BotFather token is valid",
  dependsOn: [],
  impact: "down",
  options: z.object({}).strict(),
  async run({ telegram }) {
    try {
      const me = await telegram.getMe();
      return ok(`token accepted for bot id ${me.id}`);
    } catch (err) {
      // Only Telegram's own refusal: a proxy's 401 or 404 page is unreachable and says nothing about the token.
      const refused = err instanceof TelegramError && !err.unreachable ? err : undefined;
      if (refused?.code === "401")
        return fail("Telegram answered 401 Unauthorized: the token is revoked or wrong", REMEDIATION.tokenRevoked);
      if (refused?.code === "404")
        return fail("Telegram answered 404 Not Found: the token is malformed", REMEDIATION.tokenMalformed);
      throw err;
    }
  },
});
