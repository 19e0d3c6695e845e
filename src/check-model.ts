/**
 * What a check sees and produces: the part of the shared vocabulary (model.ts) that checks and the
 * runner's check interface stand on. It names no check, so `checks/` can import it without a cycle
 * through the registry that model.ts types `MonitoredBot.checks` by.
 */

export const CHECK_STATUSES = ["ok", "warn", "fail", "unknown", "skipped"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

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
  /** What of this the profile owner can fix in Telegram, one entry per problem: what the `owner` channel tells them. */
  ownerFixes?: OwnerFix[];
  /** ISO time the check ran. */
  at: string;
  /** ISO time the check entered its current status. */
  since: string;
}

/**
 * A problem the profile owner fixes in Telegram (a setting of the chatbot), in words for them: no check
 * ids, no internals. `problem` names it among the bot's problems, so two checks that see the same cause
 * (can_reply off, seen by rights and by scope) tell the owner once.
 */
export interface OwnerFix {
  problem: string;
  /** What is wrong, as the owner sees it: "@anna_bot cannot reply in your chats". */
  issue: string;
  /** What to do, step by step in Telegram's settings. */
  fix: string;
  /** The note once it is fixed. */
  fixed: string;
}

/** Facts a sweep learned from Telegram, kept for metrics. */
export interface Observations {
  connectionEnabled?: boolean;
  rights?: Record<string, boolean>;
  webhookPendingUpdates?: number;
  /** Unix seconds of Telegram's last webhook delivery error. */
  webhookLastErrorAt?: number;
  /** Unix seconds the webhook endpoint's TLS certificate expires (its notAfter). */
  webhookCertificateExpiresAt?: number;
  /**
   * What checks carry from one sweep of the bot to the next. It is stored with the bot's last result, so
   * it survives a restart, and it is part of that result's verdict: lost, it would change the next one.
   */
  remembered?: Remembered;
}

/**
 * Each check's memory across sweeps, by what it is about (a check declares its keys: `remembers`). Every
 * entry is a condition with its `since`: the store writes the start of one that has stood a minute (verdict.ts).
 */
export interface Remembered {
  /** The webhook check's: the pending updates it watches for a stall (checks/webhook-backlog.ts). */
  webhookBacklog?: Backlog;
}

/** A backlog every sweep since `since` saw above 0 and never lower; `count` is the last sweep's. */
export interface Backlog {
  /** ISO time of the first sweep that saw it. */
  since: string;
  count: number;
}

/** A bot as a check sees it: who it is and what it must be attached to (its options come separately). */
export interface BotTarget {
  name: string;
  token: string;
  username: string;
  botId?: number;
  ownerId: number;
  businessConnectionId?: string;
  probeChats: number[];
  labels: Record<string, string>;
}

/** The options every check has (`defineCheck` adds them): `enabled` switches it on or off. */
export interface CheckOptionsBase {
  readonly enabled: boolean;
}

/**
 * A bot's per-check options by check id, as the runner reads them for any registered check: what is
 * set there, over the check's defaults (`optionsFor`).
 */
export type CheckOptionsById = { readonly [id: string]: Partial<CheckOptionsBase> | undefined };

/** A bot with its per-check options: what a sweep runs the registered checks for. */
export interface CheckedBot extends BotTarget {
  readonly checks: CheckOptionsById;
}
