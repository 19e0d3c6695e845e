import type { Incident } from "../history/incidents.ts";
import type { BotStatus } from "../model.ts";
import type { FailingBot } from "./digest-types.ts";

/** The bots failing in the monitor's latest sweeps (the service's digest): degraded or down, with their failing checks. */
export function failingFromStatuses(statuses: Iterable<BotStatus>): FailingBot[] {
  const out: FailingBot[] = [];
  for (const s of statuses) {
    if (s.health !== "degraded" && s.health !== "down") continue;
    out.push({ bot: s.name, health: s.health, since: s.since, checks: s.checks.filter((c) => c.status === "fail" || c.status === "warn").map((c) => c.check) });
  }
  return out;
}

/**
 * The bots failing as the store knows it (the command line's digest, with no monitor of its own): those
 * whose alert is firing, from their open incident.
 */
export function failingFromIncidents(open: ReadonlyMap<string, Incident>): FailingBot[] {
  return [...open.values()].map((i) => ({ bot: i.bot, health: i.worst, since: new Date(i.start).toISOString(), checks: i.checks.map((c) => c.check) }));
}
