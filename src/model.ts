/** The vocabulary shared by runner, health, store, metrics and HTTP (README: "The checks and what a failure means", "HTTP endpoints"). */
import type { CheckOptions } from "../checks/index.ts";
import type { BotTarget, CheckResult, Observations } from "./check-model.ts";

export { CHECK_STATUSES } from "./check-model.ts";
export type { BotTarget, CheckResult, CheckStatus, Impact, Observations } from "./check-model.ts";

export const HEALTHS = ["healthy", "degraded", "down", "unknown"] as const;
export type Health = (typeof HEALTHS)[number];

export interface BotStatus {
  name: string;
  username: string;
  health: Health;
  /** ISO time the bot entered its current health. */
  since: string;
  /** ISO time the last sweep finished. */
  checkedAt: string;
  checks: CheckResult[];
  observed: Observations;
}

/**
 * A bot as the monitor sees it: config (or admin API) resolved, checks' options merged. A check
 * absent here runs with its defaults; a check registered beyond `CHECKS` (a plug-in passed to the
 * service) has its options here too, read through the check itself (`optionsFor`).
 */
export interface MonitoredBot extends BotTarget {
  /** Per-check options, defaults merged with this bot's overrides. */
  checks: { [Id in keyof CheckOptions]?: Partial<CheckOptions[Id]> };
}
