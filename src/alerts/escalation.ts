import { announcement, watchedMs, type AlertEvent, type AlertPolicy, type AlertState, type Notified, type Observation } from "./state-machine.ts";

/**
 * Escalation (README, "Alerts": `after` on a channel): a channel with `after` hears of an alert only once it
 * has been firing that long, counted from the sweep that made it fire, at the first failing sweep from
 * then on (a healthy sweep of a recovering alert, or an unknown one, pages nobody); then as any channel
 * does: the firing, the escalation degraded → down, reminders on its own clock (from when it was told), and
 * the resolution only if it heard of the firing. An alert resolved sooner never reaches it. Muted sweeps
 * (silence, maintenance) owe it nothing, as they owe the other channels nothing; once unmuted, what is due
 * goes out. What each such channel was told lives in the firing alert's state (`escalated`), written with
 * the alert in one step: a restart in the middle of the wait still sends it when due, never twice. Pure,
 * given `accepts`.
 */

export interface EscalationInput {
  previous: AlertState | undefined;
  /** The alert's state after this sweep's step. */
  state: AlertState;
  observation: Observation;
  policy: AlertPolicy;
  /** Each channel that sets `after`, with it in milliseconds (> 0). */
  delays: ReadonlyMap<string, number>;
  /** Whether `channel` takes the message of `event` (its routing: minHealth, the bots selector). */
  accepts: (channel: string, event: AlertEvent) => boolean;
}

export interface EscalationResult {
  state: AlertState;
  /** What each delayed channel is owed by this step. */
  owed: { channel: string; event: AlertEvent }[];
}

export function escalationStep(input: EscalationInput): EscalationResult {
  const { previous, state, observation, policy, delays, accepts } = input;
  const owed: EscalationResult["owed"] = [];
  const firing = state.firing;
  if (!firing) {
    // Resolved: the channels that heard of this firing hear it is over.
    const was = previous?.firing;
    if (!was || !policy.sendResolved) return { state, owed };
    const at = observation.at.toISOString();
    for (const channel of delays.keys()) {
      const event: AlertEvent = { kind: "resolved", severity: was.severity, since: was.since, at, endsAt: at };
      if (was.escalated?.[channel] && accepts(channel, event)) owed.push({ channel, event });
    }
    return { state, owed };
  }
  // It hears of a failure still going on: not on a sweep that is recovering (healthy) or says nothing (unknown).
  const failing = observation.health === "degraded" || observation.health === "down";
  if (observation.muted || !failing) return { state, owed };

  // States written before `firedAt` was recorded count from the first bad sweep; steps are taken away (watchedMs).
  const firedFor = watchedMs(firing, firing.firedAt ?? firing.since, 0, observation.at);
  const told: Record<string, Notified> = { ...firing.escalated };
  for (const [channel, afterMs] of delays) {
    if (firedFor < afterMs) continue;
    const due = announcement(firing, told[channel] ?? null, observation, policy);
    // A channel whose routing refuses the message (minHealth: down while degraded) was not told.
    if (!due || !accepts(channel, due.event)) continue;
    owed.push({ channel, event: due.event });
    told[channel] = due.told;
  }
  if (owed.length === 0) return { state, owed };
  return { state: { ...state, firing: { ...firing, escalated: told } }, owed };
}
