import { z } from "zod";
import { defineCheck, fail, forOwner, ok } from "../src/runner/define-check.ts";
import { businessError } from "../src/telegram/business-errors.ts";
import { TelegramError } from "../src/telegram/errors.ts";
import { DEFAULT_REQUIRED_RIGHTS, GIFTS_AND_STARS, grantedRights, permissionOf, permissionsOf, RIGHT_ALIASES, RIGHTS, type Right } from "../src/telegram/rights.ts";
import { connectionRefusal } from "./business-refusal.ts";
import { OWNER_FIX, REMEDIATION } from "./remediation.ts";

const rightName = z
  .enum([...RIGHTS, ...(Object.keys(RIGHT_ALIASES) as ["can_delete_outgoing_messages"])])
  .transform((name): Right => RIGHT_ALIASES[name] ?? (name as Right));

/** Fails when a required right is missing (down without can_reply) or the Stars probe is refused. */
export const rights = defineCheck({
  id: "rights",
  title: "Secretary Mode permissions are complete",
  dependsOn: ["connection"],
  impact: "degraded",
  options: z
    .object({
      require: z.array(rightName).default(DEFAULT_REQUIRED_RIGHTS),
    })
    .strict(),
  async run({ bot, telegram }, { require }) {
    const granted = grantedRights(await telegram.getBusinessConnection());
    const required = [...new Set(require)];
    const missing = required.filter((r) => !granted[r]);
    if (missing.length > 0) {
      const impact = missing.includes("can_reply") ? "down" : "degraded";
      const owner = permissionsOf(missing).map((permission) => OWNER_FIX.permission(bot.username, permission));
      return forOwner(fail(`missing rights: ${missing.join(", ")}`, REMEDIATION.rights, impact), ...owner);
    }
    if (required.some((r) => GIFTS_AND_STARS.includes(r))) {
      try {
        await telegram.getBusinessAccountStarBalance();
      } catch (err) {
        const refused = connectionRefusal(err, bot.businessConnectionId ?? "", "the Stars balance probe");
        if (refused) return refused;
        if (businessError(err) === "accessForbidden") {
          const verdict = fail("Telegram refused the Stars balance probe (BOT_ACCESS_FORBIDDEN): the bot lacks Manage Gifts and Stars at Telegram", REMEDIATION.starsForbidden);
          return forOwner(verdict, OWNER_FIX.permission(bot.username, permissionOf("can_view_gifts_and_stars")));
        }
        if (err instanceof TelegramError && !err.unreachable)
          return fail(`Telegram refused the Stars balance probe: ${err.description}`, REMEDIATION.starsProbe);
        throw err;
      }
    }
    return ok(`all ${required.length} required rights granted`);
  },
});
