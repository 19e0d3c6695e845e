import type { CheckStatus } from "../model.ts";

/**
 * What the history records besides health transitions and alert events (README, "Storage and history").
 * Times are epoch ms throughout; the HTTP and CLI views turn them into ISO strings.
 */

/** A check's status changed (or the bot's first sweep gave it one). */
export interface CheckTransition {
  bot: string;
  check: string;
  at: number;
  status: CheckStatus;
  message?: string | null;
}

/** One delivery attempt of a notification: sent, failed (will retry) or dropped (gave up). */
export interface NotificationAttempt {
  at: number;
  /** The alert it announces: the bot's name, or "monitor"; "test" for `alerts test`. */
  alertKey: string;
  incidentId: string | null;
  channel: string;
  /** firing, reminder, resolved, test. */
  kind: string;
  /** sent, failed, dropped. */
  result: string;
  attempts: number;
  error?: string | null;
}

/** One admin change. Never a secret: the admin token's name, not the token; a summary, not the body. */
export interface AuditEntry {
  at: number;
  tokenName: string;
  address: string;
  method: string;
  route: string;
  bot?: string | null;
  summary: string;
}

/** A time range and a row limit for the list reads (incidents, audit, notifications). */
export interface Page {
  from?: number;
  to?: number;
  limit?: number;
}
