import type { CheckResult, Health } from "./model.ts";

/**
 * README, "The checks and what a failure means": `down` if a result with impact down failed; `degraded` if any other fail or any warn;
 * `unknown` if results needed to decide are unknown; else `healthy`.
 */
export function botHealth(results: readonly CheckResult[]): Health {
  let health: Health = "healthy";
  for (const r of results) {
    if (r.status === "fail" && r.impact === "down") return "down";
    if (r.status === "fail" || r.status === "warn") health = "degraded";
    else if (r.status === "unknown" && health === "healthy") health = "unknown";
  }
  return health;
}

export type FleetStatus = "healthy" | "degraded" | "down";

/** The worst bot health; `unknown` counts as degraded (the monitor cannot vouch for the bot). */
export function fleetStatus(healths: Iterable<Health>): FleetStatus {
  let status: FleetStatus = "healthy";
  for (const h of healths) {
    if (h === "down") return "down";
    if (h !== "healthy") status = "degraded";
  }
  return status;
}

const SEVERITY: Record<Health, number> = { down: 0, unknown: 1, degraded: 2, healthy: 3 };

/** Sort key for "worst first". */
export const healthSeverity = (h: Health): number => SEVERITY[h];
