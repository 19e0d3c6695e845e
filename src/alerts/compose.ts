import type { BotStatus } from "../model.ts";
import type { AlertEvent } from "./state-machine.ts";
import type { AlertCheck, AlertMessage } from "./types.ts";

/**
 * Turns a state-machine event into the structured AlertMessage every channel renders (README, "Alerts": one
 * message per bot listing every failing check with its message and remediation, since when, and a link
 * to `publicUrl`). Plain text only: channels escape for their own format.
 */

export interface ComposeOptions {
  /** `server.publicUrl`; empty or absent: no link. */
  publicUrl?: string;
  /** `alerts.repeatInterval` in milliseconds: a firing message stays valid for two of them. */
  repeatIntervalMs: number;
}

export interface BotIdentity {
  name: string;
  username: string;
  labels: Record<string, string>;
}

export interface MonitorInfo {
  /** Bots whose latest sweep was unknown. */
  unknownBots: number;
  /** Bots swept in the latest round. */
  totalBots: number;
  /** A few of the errors the monitor saw (one line each). */
  sample: string[];
}

/** The key and scope of the monitor-level alert. */
export const MONITOR_KEY = "monitor";

export const MONITOR_REMEDIATION =
  "Telegram is unreachable from the monitor, not necessarily from the bots: check the monitor host's " +
  "network path to telegram.apiRoot (DNS, firewall, proxy, outbound HTTPS) and Telegram's status.";

/** A message for one bot, from its event and its latest sweep. */
export function composeMessage(event: AlertEvent, status: BotStatus, bot: BotIdentity, options: ComposeOptions): AlertMessage {
  const who = `${bot.name} (@${bot.username.replace(/^@/, "")})`;
  const checks: AlertCheck[] = [];
  // Sweep order is dependency order: the root cause comes first.
  for (const r of status.checks) {
    if (r.status !== "fail" && r.status !== "warn") continue;
    checks.push({ check: r.check, status: r.status, message: r.message ?? "", remediation: r.remediation ?? "", since: r.since });
  }
  return {
    key: bot.name,
    scope: "bot",
    kind: event.kind,
    bot: { name: bot.name, username: bot.username, labels: { ...bot.labels } },
    ...common(event, options, summaryFor(event, who)),
    health: event.kind === "resolved" ? "healthy" : status.health,
    checks,
    ...link(options.publicUrl, `#bot-${encodeURIComponent(bot.name)}`),
  };
}

/** The single "monitor cannot reach Telegram" message that replaces one message per bot. */
export function composeMonitorMessage(event: AlertEvent, info: MonitorInfo, options: ComposeOptions): AlertMessage {
  const who = "secretary-watch";
  const base =
    event.kind === "resolved"
      ? `${who} reaches Telegram again`
      : `${who} cannot reach Telegram${event.kind === "reminder" ? " (still)" : ""}: ${info.unknownBots} of ${info.totalBots} bots unknown`;
  const checks: AlertCheck[] =
    event.kind === "resolved"
      ? []
      : info.sample.map((message) => ({ check: "telegram", status: "unknown", message, remediation: MONITOR_REMEDIATION, since: event.since }));
  return {
    key: MONITOR_KEY,
    scope: "monitor",
    kind: event.kind,
    ...common(event, options, base),
    health: event.kind === "resolved" ? "healthy" : "unknown",
    checks,
    ...link(options.publicUrl, ""),
  };
}

function summaryFor(event: AlertEvent, who: string): string {
  const { severity } = event;
  switch (event.kind) {
    case "firing":
      return event.escalatedFrom ? `${who} is ${severity} (was ${event.escalatedFrom})` : `${who} is ${severity}`;
    case "reminder":
      return `${who} is still ${severity}`;
    case "resolved":
      return `${who} is healthy again (was ${severity})`;
  }
}

/** The fields every message takes from its event. A resolved alert is active until it ended. */
function common(event: AlertEvent, options: ComposeOptions, summary: string) {
  const at = Date.parse(event.at);
  const activeUntil =
    event.kind === "resolved" ? (event.endsAt ?? event.at) : new Date(at + 2 * options.repeatIntervalMs).toISOString();
  return {
    severity: event.severity,
    ...(event.escalatedFrom && { escalatedFrom: event.escalatedFrom }),
    since: event.since,
    at: event.at,
    ...(event.endsAt !== undefined && { endsAt: event.endsAt }),
    activeUntil,
    summary,
  };
}

/** `{ url }` joined onto publicUrl without doubling the slash, or nothing when there is no publicUrl. */
function link(publicUrl: string | undefined, fragment: string): { url?: string } {
  const base = publicUrl?.trim().replace(/\/+$/, "");
  return base ? { url: `${base}/${fragment}` } : {};
}

/** What `secretary-watch alerts test` sends: a notification that exercises the whole rendering. */
export function composeTestMessage(at: Date, options: ComposeOptions): AlertMessage {
  const iso = at.toISOString();
  return {
    key: "test",
    scope: "monitor",
    kind: "test",
    severity: "degraded",
    health: "healthy",
    since: iso,
    at: iso,
    activeUntil: new Date(at.getTime() + 5 * 60_000).toISOString(),
    summary: "secretary-watch test notification: this channel works",
    checks: [],
    ...link(options.publicUrl, ""),
  };
}
