import type { OwnerFix } from "../check-model.ts";
import type { Health } from "../model.ts";
import type { ReportDigest } from "../reports/digest-types.ts";

/**
 * The alerting contract shared by the state machine, the outbox and every channel.
 * Notifications are structured: each channel renders (and escapes) them in its own format.
 */

/** `report`: a scheduled digest (README, "Reports"), sent only to the channels its report names. */
export type AlertKind = "firing" | "reminder" | "resolved" | "test" | "report";
export type Severity = "degraded" | "down";

export interface AlertCheck {
  check: string;
  status: "fail" | "warn" | "unknown";
  /** What was observed (one line). */
  message: string;
  /** What to do, in the setup guide's words. */
  remediation: string;
  /** ISO time the check entered this status. */
  since: string;
}

export interface AlertMessage {
  /** Identity of the alert: the bot's name, or "monitor" for the monitor-level alert. */
  key: string;
  /** "owner": a message to the bot's profile owner (owner-notices.ts), which only owner channels take. */
  scope: "bot" | "monitor" | "owner";
  kind: AlertKind;
  /** Present when scope is "bot". */
  bot?: { name: string; username: string; labels: Record<string, string> };
  /** Worst health while firing; for "resolved", the severity that was firing. */
  severity: Severity;
  /** Set on the firing notification that escalates degraded → down. */
  escalatedFrom?: Severity;
  /** Current health at the time of the notification ("healthy" for resolved). */
  health: Health;
  /** ISO time the alert started (first bad sweep of the streak that fired). */
  since: string;
  /** ISO time this notification was made. */
  at: string;
  /** ISO time the alert resolved ("resolved" only). */
  endsAt?: string;
  /**
   * ISO time until which a receiver may consider the alert active without hearing from us again
   * (Alertmanager `endsAt` for firing alerts): well past the next reminder.
   */
  activeUntil: string;
  /** One line for subjects and titles, e.g. "anna (@anna_secretary_bot) is down". */
  summary: string;
  /** Every failing check (fail, warn; unknown for the monitor alert) with what to do. */
  checks: AlertCheck[];
  /** Link to the status page when server.publicUrl is set. */
  url?: string;
  /** Scope "owner": the problem the owner is told of, in their words. */
  owner?: OwnerFix;
  /** Kind "report": the digest itself; each channel renders it (reports/render-digest.ts). */
  report?: ReportDigest;
}

/** One problem a bot's profile owner was told of (owner-notices.ts): by which check, when last, in which words. */
export interface OwnerTold {
  check: string;
  /** ISO time of the last message about it: the reminder clock. */
  at: string;
  fix: OwnerFix;
  /** The firing alert's `stepMs` then (absent: 0; state-machine.ts). */
  stepMs?: number;
}

/** A failed delivery. `retryAfterMs` honours a receiver's 429; `permanent` stops retries (bad request). */
export class ChannelError extends Error {
  override readonly name = "ChannelError";
  readonly retryAfterMs: number | undefined;
  readonly permanent: boolean;

  constructor(message: string, options: { retryAfterMs?: number; permanent?: boolean } = {}) {
    super(message);
    this.retryAfterMs = options.retryAfterMs;
    this.permanent = options.permanent ?? false;
  }
}

/** One configured receiver. Channels never throw anything but ChannelError from send(). */
export interface Channel {
  readonly name: string;
  readonly type: string;
  /** Who reads it: the ops team (every channel but one), or each bot's profile owner (`owner`). */
  readonly audience?: "operators" | "owner";
  /** Escalation, in milliseconds: the channel hears of an alert only once it has fired this long (0 or absent: at once). */
  readonly after?: number;
  /** Routing: `minHealth` and the `bots` label selector (`after` is the engine's). The monitor alert goes to every channel whose minHealth it meets. */
  accepts(message: AlertMessage): boolean;
  send(message: AlertMessage, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}
