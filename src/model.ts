/** The vocabulary shared by runner, health, store, metrics and HTTP (README: "The checks and what a failure means", "HTTP endpoints"). */

export const CHECK_STATUSES = ["ok", "warn", "fail", "unknown", "skipped"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const HEALTHS = ["healthy", "degraded", "down", "unknown"] as const;
export type Health = (typeof HEALTHS)[number];

/** What a failed check means for the bot: `down` = Secretary replies stop; `degraded` = partly. */
export type Impact = "down" | "degraded";

export interface CheckResult {
  check: string;
  status: CheckStatus;
  /** One line: what was observed. Present on every non-ok result. */
  message?: string;
  /** What to do, in the setup guide's words. */
  remediation?: string;
  /** Impact of this result when it is `fail`. */
  impact?: Impact;
  durationMs: number;
  /** A latency the check measured (round-trip), in ms. */
  latencyMs?: number;
  /** ISO time the check ran. */
  at: string;
  /** ISO time the check entered its current status. */
  since: string;
}

/** Facts a sweep learned from Telegram, kept for metrics. */
export interface Observations {
  connectionEnabled?: boolean;
  rights?: Record<string, boolean>;
  webhookPendingUpdates?: number;
  /** Unix seconds of Telegram's last webhook delivery error. */
  webhookLastErrorAt?: number;
}

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

/** A bot as the monitor sees it: config (or admin API) resolved, checks' options merged. */
export interface MonitoredBot {
  name: string;
  token: string;
  username: string;
  botId?: number;
  ownerId: number;
  businessConnectionId?: string;
  probeChats: number[];
  labels: Record<string, string>;
  /** Per-check options, defaults merged with this bot's overrides. */
  checks: Record<string, Record<string, unknown>>;
}
