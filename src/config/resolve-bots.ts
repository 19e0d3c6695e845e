/**
 * The config's bots as the runner sees them: each with every check's options, the defaults under
 * `checks` merged with what the bot overrides.
 */
import { CHECKS } from "../../checks/index.ts";
import type { MonitoredBot } from "../model.ts";
import type { Config } from "./schema.ts";

/** The bots of the config file as the runner sees them, check options merged (defaults, then the bot's). */
export function resolveBots(config: Config): MonitoredBot[] {
  const defaults = defaultChecks(config.checks);
  return config.bots.map((bot) => {
    const overrides = CHECKS.map(({ id }) => definedOnly(bot.checks[id]));
    const checks = overrides.every((o) => Object.keys(o).length === 0)
      ? defaults
      : Object.fromEntries(CHECKS.map(({ id }, i) => [id, { ...config.checks[id], ...overrides[i] }]));
    return {
      name: bot.name,
      token: bot.token,
      username: bot.username.replace(/^@/, ""),
      ...(bot.botId ? { botId: bot.botId } : {}),
      ownerId: bot.owner.id,
      ...(bot.businessConnectionId ? { businessConnectionId: bot.businessConnectionId } : {}),
      probeChats: [...bot.probeChats],
      labels: { ...bot.labels },
      checks,
    };
  });
}

/**
 * Bots that override nothing share one frozen set of check options, made once per config (bots are
 * resolved one at a time too): at 10,000 bots a copy each would be 80,000 objects kept for nothing.
 */
const sharedDefaults = new WeakMap<Config["checks"], MonitoredBot["checks"]>();
function defaultChecks(checks: Config["checks"]): MonitoredBot["checks"] {
  let defaults = sharedDefaults.get(checks);
  if (!defaults) {
    defaults = Object.freeze(Object.fromEntries(CHECKS.map(({ id }) => [id, Object.freeze({ ...checks[id] })])));
    sharedDefaults.set(checks, defaults);
  }
  return defaults;
}

function definedOnly(options: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
}
