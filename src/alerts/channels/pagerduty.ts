import { createHash } from "node:crypto";
import { z } from "zod";
import { registerSecret } from "../../redact.ts";
import { expected, httpUrl } from "../../config/fields.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelDeps, type ChannelSender } from "./define-channel.ts";
import { httpTarget, postJson } from "./http-delivery.ts";
import { subjectLine } from "./render.ts";

/** PagerDuty's Events API v2 (US service region); EU accounts use https://events.eu.pagerduty.com/v2/enqueue. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
/** PagerDuty's limits for `payload.summary` and `dedup_key`. */
export const PAGERDUTY_MAX_SUMMARY = 1024;
export const PAGERDUTY_MAX_DEDUP_KEY = 255;
/** Prefix of every alert's dedup_key; the test notification's differs, so it can never resolve or join a real alert. */
const ALERT_KEY_PREFIX = "secretary-watch/";
const TEST_KEY_PREFIX = "secretary-watch-test/";

const options = z.strictObject({
  routingKey: z
    .string()
    // A refinement, not a pattern, so editors using the JSON Schema accept "${PD_ROUTING_KEY}" as written.
    .refine((v) => /^[A-Za-z0-9]{32}$/.test(v), { error: expected("the 32-character Integration Key of an Events API v2 integration") })
    .describe("Integration Key of the service's Events API v2 integration"),
  url: httpUrl(PAGERDUTY_EVENTS_URL).default(PAGERDUTY_EVENTS_URL).describe("Events API v2 endpoint; https://events.eu.pagerduty.com/v2/enqueue for EU accounts"),
});

/** One PagerDuty Events API v2 event, as POSTed to /v2/enqueue. */
export type PagerDutyEvent =
  | {
      routing_key: string;
      event_action: "trigger";
      dedup_key: string;
      payload: {
        summary: string;
        source: string;
        severity: "critical" | "error" | "warning" | "info";
        timestamp: string;
        component?: string;
        class?: string;
        custom_details: Record<string, unknown>;
      };
      client: string;
      client_url?: string;
      links?: Array<{ href: string; text: string }>;
    }
  | { routing_key: string; event_action: "resolve"; dedup_key: string };

/**
 * Pages through PagerDuty's Events API v2: a firing, an escalation and a reminder are `trigger` events
 * (PagerDuty folds a trigger with an open alert's dedup_key into that alert, raising its severity on an
 * escalation), a resolution is `resolve`. PagerDuty answers 202; 400 is permanent, 429 and 5xx are retried.
 */
export const pagerdutyChannel = defineChannel({ type: "pagerduty", options, create: pagerdutySender });
export type PagerDutyChannelConfig = ChannelConfigOf<typeof pagerdutyChannel>;

/** One pagerduty channel with its routing, outside the registry. */
export function createPagerDutyChannel(name: string, config: PagerDutyChannelConfig, deps: Pick<ChannelDeps, "timeoutMs">): Channel {
  return routedChannel(name, config, pagerdutySender(name, config, deps));
}

function pagerdutySender(name: string, config: z.output<typeof options>, deps: Pick<ChannelDeps, "timeoutMs">): ChannelSender {
  // The routing key is in every body: PagerDuty's 400 answers may quote it back, and postJson redacts those.
  registerSecret(config.routingKey);
  const target = httpTarget(config.url);
  const label = `pagerduty channel "${name}"`;
  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      await postJson(label, target, JSON.stringify(toPagerDutyEvent(message, config.routingKey)), {}, signal, deps.timeoutMs);
    },
  };
}

/**
 * The one dedup_key of an alert: its key (the bot's name, or "monitor") and the start of the firing
 * (`since`, the first bad sweep of the streak that fired). Both are part of the alert's stored state, not
 * of the process: the firing, its escalation, its reminders and its resolution all carry the same
 * `since`; a restart reads it back from the database, and a replica that takes the shard over reads the
 * same row from the shared store, so its resolve closes the incident another replica opened. A new
 * firing after a resolution starts at a later sweep, so it opens a new incident instead of reopening the
 * old one. `since` is read as a time and written back in one form, so an engine that formats timestamps
 * differently cannot split one alert in two.
 */
export function dedupKey(message: AlertMessage): string {
  const since = Date.parse(message.since);
  const start = Number.isNaN(since) ? message.since : new Date(since).toISOString();
  if (message.kind === "test") return `${TEST_KEY_PREFIX}${start}`;
  const readable = `${ALERT_KEY_PREFIX}${message.key}/${start}`;
  if (readable.length <= PAGERDUTY_MAX_DEDUP_KEY) return readable;
  return `${ALERT_KEY_PREFIX}${createHash("sha256").update(message.key).digest("hex")}/${start}`;
}

/** The event one notification becomes. */
export function toPagerDutyEvent(message: AlertMessage, routingKey: string): PagerDutyEvent {
  const dedup_key = dedupKey(message);
  // PagerDuty reads only the key of a resolve; the incident keeps what its triggers said.
  if (message.kind === "resolved") return { routing_key: routingKey, event_action: "resolve", dedup_key };
  const firstCheck = message.checks[0]?.check;
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key,
    payload: {
      summary: clip(subjectLine(message), PAGERDUTY_MAX_SUMMARY),
      source: message.bot ? `@${message.bot.username.replace(/^@/, "")}` : "secretary-watch",
      severity: severityOf(message),
      timestamp: message.at,
      ...(message.bot && { component: message.bot.name }),
      // Sweep order is dependency order: the first failing check is the root cause.
      ...(firstCheck !== undefined && { class: firstCheck }),
      custom_details: detailsOf(message),
    },
    client: "secretary-watch",
    ...(message.url && { client_url: message.url, links: [{ href: message.url, text: "Status page" }] }),
  };
}

/**
 * down pages as critical, degraded as warning. The monitor-level alert is `error`: every bot's status is
 * unknown, which is not a confirmed outage of any bot but leaves the fleet unwatched until someone fixes
 * the monitor's network. The test notification is `info`, so it reaches the service without waking anyone.
 */
function severityOf(message: AlertMessage): "critical" | "error" | "warning" | "info" {
  if (message.kind === "test") return "info";
  if (message.scope === "monitor") return "error";
  return message.severity === "down" ? "critical" : "warning";
}

function detailsOf(message: AlertMessage): Record<string, unknown> {
  return {
    kind: message.kind,
    health: message.health,
    severity: message.severity,
    ...(message.escalatedFrom && { escalated_from: message.escalatedFrom }),
    since: message.since,
    ...(message.bot && { bot: message.bot.name, username: message.bot.username, labels: message.bot.labels }),
    failing_checks: message.checks.map((c) => ({ check: c.check, status: c.status, message: c.message, fix: c.remediation, since: c.since })),
  };
}

/** At most `max` UTF-16 units, with an ellipsis when cut, never half a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}
