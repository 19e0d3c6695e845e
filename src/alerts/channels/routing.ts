import { z } from "zod";
import { DAY, durationBetween } from "../../config/duration.ts";
import type { AlertMessage } from "../types.ts";

/**
 * Which notifications a channel takes (README, "Alerts": each channel may set minHealth, a bots selector and after), shared by every
 * channel type so routing means the same thing everywhere. The registry adds these options to every channel's own.
 */
export const routeOptions = {
  /** `degraded`: every notification; `down`: only those whose severity is down. */
  minHealth: z.enum(["degraded", "down"]).default("degraded").describe("Notify from this health on"),
  /** Every pair must match the bot's labels; the key `name` also matches the bot's name. */
  bots: z.record(z.string(), z.string()).default({}).describe("Only bots whose labels have all these values"),
  /** Escalation: the alert engine holds the channel's notifications of an alert until it has fired this long. */
  after: durationBetween(0, 30 * DAY).optional().describe("Hear of an alert only once it has been firing this long (0s: at once)"),
};

export type Route = z.output<z.ZodObject<typeof routeOptions>>;

export function accepts(route: Route, message: AlertMessage): boolean {
  // A test notification checks that the channel works; routing would only hide that.
  if (message.kind === "test") return true;
  if (route.minHealth === "down" && message.severity !== "down") return false;
  // The monitor alert is about every bot at once: it goes to every channel whose minHealth it meets.
  if (message.scope === "monitor") return true;
  return selectorMatches(route.bots, message.bot);
}

/** An empty selector matches every bot. */
export function selectorMatches(selector: Record<string, string>, bot: AlertMessage["bot"]): boolean {
  const labels = bot?.labels ?? {};
  for (const [key, value] of Object.entries(selector)) {
    const byLabel = Object.hasOwn(labels, key) && labels[key] === value;
    const byName = key === "name" && bot?.name === value;
    if (!byLabel && !byName) return false;
  }
  return true;
}
