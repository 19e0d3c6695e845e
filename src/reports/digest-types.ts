import type { Uptime } from "../history/uptime.ts";
import type { Health } from "../model.ts";

/**
 * A report's digest (README, "Reports"): what happened to the fleet over [from, to), built from the
 * history store, plus the bots that are failing as it is built. Plain data: every channel renders it
 * (reports/render-digest.ts), the webhook sends it as it is, and the outbox stores it with the message.
 * Times are ISO strings, as in every stored notification.
 */
export interface ReportDigest {
  /** The report's name in the config (`reports[].name`), or `report` for the command line's. */
  name: string;
  from: string;
  to: string;
  /** The window's length as written (`7d`). */
  window: string;
  /** The fleet's ratios: each bot's weighted by its known time; null when nothing is known. */
  fleet: Uptime & { bots: number };
  /** The bots with the lowest `up` (below 100 %), worst first, at most WORST_BOTS. */
  worst: Array<{ bot: string } & Uptime>;
  /** Every incident overlapping the window, oldest first. */
  incidents: ReportIncident[];
  /** True when the store held more incidents than one digest lists (the oldest are left out). */
  incidentsCut: boolean;
  /** The bots failing (degraded or down) as the digest is built, worst first. */
  failing: FailingBot[];
  /** Notifications of the window that were retried (failed) or given up (dropped), by channel. */
  notifications: FailedNotifications[];
}

export interface ReportIncident {
  bot: string;
  start: string;
  /** Null while it is still open. */
  end: string | null;
  /** Milliseconds from its start to its end (to the digest's end while open). */
  durationMs: number;
  worst: "degraded" | "down";
  /** The failing checks as last recorded. */
  checks: Array<{ check: string; status: string; message: string }>;
  silenced: boolean;
}

export interface FailingBot {
  bot: string;
  health: Extract<Health, "degraded" | "down">;
  /** ISO time it entered that health. */
  since: string;
  /** The ids of its failing checks. */
  checks: string[];
}

export interface FailedNotifications {
  channel: string;
  /** Attempts that failed and were retried. */
  failed: number;
  /** Notifications given up (refused for good or expired): these never arrived. */
  dropped: number;
  /** The last attempt's error (redacted when recorded). */
  lastError: string | null;
}
