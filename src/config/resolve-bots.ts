/**
 * The config's bots as the runner sees them: each with every check's options, the defaults under
 * `checks` merged with what the bot overrides (runner/check-options.ts; bots that override nothing
 * share one frozen set).
 */
import { CHECKS } from "../../checks/index.ts";
import type { MonitoredBot } from "../model.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import { mergeCheckOptions } from "../runner/check-options.ts";
import type { Config } from "./schema.ts";

/** The bots of the config file as the runner sees them, check options merged (defaults, then the bot's). */
export function resolveBots(config: Config, checks: CheckRegistry = CHECKS): MonitoredBot[] {
  return config.bots.map((bot) => ({
    name: bot.name,
    token: bot.token,
    username: bot.username.replace(/^@/, ""),
    ...(bot.botId ? { botId: bot.botId } : {}),
    ownerId: bot.owner.id,
    ...(bot.businessConnectionId ? { businessConnectionId: bot.businessConnectionId } : {}),
    probeChats: [...bot.probeChats],
    labels: { ...bot.labels },
    checks: mergeCheckOptions(checks, config.checks, bot.checks),
  }));
}
