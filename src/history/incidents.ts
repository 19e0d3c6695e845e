import type { Severity } from "../alerts/types.ts";

/**
 * Incidents (README, "Storage and history"): one per firing of a bot's alert, folded from the alert's recorded events. Pure.
 *
 * An incident is named by its alert key and the first failing sweep of the streak that fired (`since`):
 * the alert state survives a restart with the same `since`, so events recorded before and after a restart
 * (even a "fired" recorded again by the restarted monitor) land in the same incident, never a second one.
 */

export type AlertHistoryKind = "fired" | "escalated" | "reminded" | "silenced" | "resolved";

export interface IncidentCheck {
  check: string;
  status: string;
  message: string;
}

export interface AlertHistoryEvent {
  at: number;
  /** The alert key: the bot's name, or "monitor". */
  key: string;
  kind: AlertHistoryKind;
  /** Worst severity so far (for `resolved`: the severity that was firing). */
  severity: Severity;
  /** The first failing sweep of the streak that fired. */
  since: number;
  /** The failing checks as of this event, when it knows them. */
  checks?: readonly IncidentCheck[];
  /** A silence or maintenance window covered the bot at this event. */
  muted?: boolean;
}

export interface IncidentNotification {
  channel: string;
  kind: string;
  at: number;
  result: string;
}

export interface Incident {
  id: string;
  bot: string;
  start: number;
  firedAt: number;
  /** When it resolved; null while open. */
  end: number | null;
  worst: Severity;
  checks: IncidentCheck[];
  notifications: IncidentNotification[];
  silenced: boolean;
}

export const incidentId = (key: string, since: number): string => `${key}@${new Date(since).toISOString()}`;

const worse = (a: Severity, b: Severity): Severity => (a === "down" || b === "down" ? "down" : "degraded");

/** The incident after `event`, given the incident it belongs to (`current`, same id) if already known. */
export function applyAlertEvent(current: Incident | undefined, event: AlertHistoryEvent): Incident {
  const incident: Incident = current
    ? { ...current, checks: [...current.checks], notifications: [...current.notifications] }
    : {
        id: incidentId(event.key, event.since),
        bot: event.key,
        start: event.since,
        // First known of this firing: the "fired" event, or whatever came first if history began later.
        firedAt: event.at,
        end: null,
        worst: event.severity,
        checks: [],
        notifications: [],
        silenced: false,
      };
  incident.worst = worse(incident.worst, event.severity);
  if (event.checks && event.checks.length > 0 && event.kind !== "resolved") incident.checks = event.checks.map((c) => ({ ...c }));
  if (event.muted || event.kind === "silenced") incident.silenced = true;
  if (event.kind === "resolved" && incident.end === null) incident.end = event.at;
  return incident;
}

/**
 * Every incident the events tell of, by start. A new firing of an alert whose previous incident never
 * saw its resolution (state lost) closes that one at the new streak's start: a bot has one open incident.
 */
export function foldIncidents(events: readonly AlertHistoryEvent[]): Incident[] {
  const byId = new Map<string, Incident>();
  const open = new Map<string, string>();
  for (const event of [...events].sort((a, b) => a.at - b.at)) {
    const id = incidentId(event.key, event.since);
    const previous = open.get(event.key);
    if (previous !== undefined && previous !== id) {
      const stale = byId.get(previous)!;
      if (stale.end === null) stale.end = Math.max(stale.start, event.since);
    }
    const incident = applyAlertEvent(byId.get(id), event);
    byId.set(id, incident);
    if (incident.end === null) open.set(event.key, id);
    else open.delete(event.key);
  }
  return [...byId.values()].sort((a, b) => a.start - b.start);
}

/** Adds each notification attempt to the incident it was sent for. */
export function withNotifications(incidents: readonly Incident[], attempts: readonly (IncidentNotification & { incidentId: string | null })[]): Incident[] {
  const byId = new Map(incidents.map((i) => [i.id, { ...i, notifications: [...i.notifications] }]));
  for (const { incidentId: id, ...attempt } of [...attempts].sort((a, b) => a.at - b.at)) {
    if (id !== null) byId.get(id)?.notifications.push(attempt);
  }
  return [...byId.values()];
}
