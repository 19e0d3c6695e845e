import type { AlertHistoryEvent, IncidentCheck } from "../history/incidents.ts";
import type { AlertEvent, AlertState } from "./state-machine.ts";

/**
 * What one alert step tells the history (README, "Storage and history"): the alert fired, escalated, reminded, was silenced or
 * resolved. Read from the states before and after the step, not from the notifications it owes, so that a
 * firing that is muted (silence, maintenance) or whose resolution is not announced (sendResolved off) is
 * still an incident. Pure.
 */
export function alertHistoryEvents(input: {
  key: string;
  previous: AlertState | undefined;
  state: AlertState;
  events: readonly AlertEvent[];
  at: number;
  muted: boolean;
  /** Whether this firing was already recorded as silenced (the engine remembers, per alert). */
  silencedBefore: boolean;
  checks: readonly IncidentCheck[];
}): AlertHistoryEvent[] {
  const { key, previous, state, at, muted, checks } = input;
  const was = previous?.firing ?? null;
  const now = state.firing;
  const out: AlertHistoryEvent[] = [];
  const event = (kind: AlertHistoryEvent["kind"], firing: NonNullable<AlertState["firing"]>) =>
    out.push({ at, key, kind, severity: firing.severity, since: Date.parse(firing.since), checks, ...(muted && { muted }) });
  if (was && (!now || now.since !== was.since)) event("resolved", was);
  if (now && (!was || was.since !== now.since)) event("fired", now);
  else if (now && was && now.severity !== was.severity) event("escalated", now);
  if (now && input.events.some((e) => e.kind === "reminder")) event("reminded", now);
  if (now && muted && !input.silencedBefore) event("silenced", now);
  return out;
}
