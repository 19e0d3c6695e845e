/**
 * The world as the control API shows it: JSON with every token masked (a sandbox token is fake, but a
 * view that never prints one keeps the rule simple) and the webhook's last error as of now.
 */
import { maskToken } from "../redact.ts";
import type { World } from "./world.ts";
import type { BotState } from "./world-state.ts";

/** What GET /_sandbox/world shows. */
export function worldView(world: World): unknown {
  return {
    latencyMs: world.latencyMs,
    users: world.users,
    bots: world.bots.map((b) => botView(world, b)),
    faults: world.faults(),
  };
}

export function botView(world: World, b: BotState): unknown {
  return { ...structuredClone(b), token: maskToken(b.token), webhook: { ...b.webhook, lastErrorDate: world.lastErrorDate(b) } };
}
