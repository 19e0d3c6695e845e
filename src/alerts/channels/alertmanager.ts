import { z } from "zod";
import { httpUrl } from "../../config/fields.ts";
import type { AlertMessage, Channel, Severity } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelDeps, type ChannelSender } from "./define-channel.ts";
import { httpTarget, postJson } from "./http-delivery.ts";

export const ALERTNAME_BOT = "SecretaryBotUnhealthy";
export const ALERTNAME_MONITOR = "SecretaryMonitorCannotReachTelegram";
export const ALERTNAME_TEST = "SecretaryWatchTest";

/** One alert of Alertmanager's API v2 (`POST /api/v2/alerts`). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

const options = z.strictObject({
  url: httpUrl("http://alertmanager:9093").describe("Alertmanager base URL"),
});

/**
 * Pushes alerts to Alertmanager. Labels carry nothing that differs between replicas or shards, so an
 * Alertmanager HA cluster deduplicates the same alert sent by several secretary-watch instances.
 */
export const alertmanagerChannel = defineChannel({ type: "alertmanager", options, create: alertmanagerSender });
export type AlertmanagerChannelConfig = ChannelConfigOf<typeof alertmanagerChannel>;

/** One alertmanager channel with its routing, outside the registry. */
export function createAlertmanagerChannel(name: string, config: AlertmanagerChannelConfig, deps: Pick<ChannelDeps, "timeoutMs">): Channel {
  return routedChannel(name, config, alertmanagerSender(name, config, deps));
}

function alertmanagerSender(name: string, config: z.output<typeof options>, deps: Pick<ChannelDeps, "timeoutMs">): ChannelSender {
  const target = httpTarget(config.url, "/api/v2/alerts");
  const label = `alertmanager channel "${name}"`;
  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      await postJson(label, target, JSON.stringify(toAlertmanagerAlerts(message)), {}, signal, deps.timeoutMs);
    },
  };
}

/**
 * The alerts one notification becomes: the alert itself and, on an escalation, the alert with the old
 * severity label ending now (its labels differ, so without that it would linger until its endsAt).
 */
export function toAlertmanagerAlerts(message: AlertMessage): AlertmanagerAlert[] {
  const endsAt = message.kind === "resolved" ? (message.endsAt ?? message.at) : message.activeUntil;
  const alerts = [alertOf(message, message.severity, endsAt)];
  if (message.escalatedFrom && message.escalatedFrom !== message.severity) {
    alerts.push(alertOf(message, message.escalatedFrom, message.at));
  }
  return alerts;
}

function alertOf(message: AlertMessage, severity: Severity, endsAt: string): AlertmanagerAlert {
  const alert: AlertmanagerAlert = {
    labels: labelsOf(message, severity),
    annotations: annotationsOf(message),
    startsAt: message.since,
    endsAt,
  };
  if (message.url) alert.generatorURL = message.url;
  return alert;
}

export function labelsOf(message: AlertMessage, severity: Severity): Record<string, string> {
  const alertname = message.kind === "test" ? ALERTNAME_TEST : message.scope === "monitor" ? ALERTNAME_MONITOR : ALERTNAME_BOT;
  const own: Record<string, string> = { alertname, severity };
  if (message.bot) {
    own.bot = message.bot.name;
    own.username = message.bot.username;
  }
  // The bot's labels, sanitized, in a stable order; ours win on a clash and empty values are dropped
  // (Prometheus treats an empty label as an absent one).
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.bot?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = sanitizeLabelName(key);
    if (name === "" || value === "" || name in own || name in labels) continue;
    labels[name] = value;
  }
  return { ...own, ...labels };
}

/** A valid Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with the reserved "__". */
export function sanitizeLabelName(key: string): string {
  let name = key.replace(/[^A-Za-z0-9_]/g, "_");
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return name.replace(/^_{2,}/, "_");
}

function annotationsOf(message: AlertMessage): Record<string, string> {
  const remediation = [...new Set(message.checks.map((c) => c.remediation.trim()).filter((r) => r !== ""))].join("\n");
  const description =
    message.checks.length > 0
      ? message.checks.map((c) => `${c.check} (${c.status}): ${c.message}${c.remediation ? `\nFix: ${c.remediation}` : ""}`).join("\n")
      : message.kind === "resolved"
        ? "All checks pass."
        : message.summary;
  return { summary: message.summary, description, remediation };
}
