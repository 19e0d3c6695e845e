import type { AlertState, FiringAlert, Notified } from "./state-machine.ts";
import type { OwnerTold } from "./types.ts";

const moved = (iso: string, ms: number): string => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t + ms).toISOString();
};

/**
 * A firing alert's clocks moved by a wall-clock step of `ms` (wall-steps.ts). The state machine measures
 * the reminder interval from `notified.at`, each delayed channel's `after` from `firedAt` and its own
 * reminders from `escalated[…].at`, and the owner's reminders from `ownerTold[…].at`: all wall times
 * that outlive the process. Moved with the step, they measure the time the monitor watched: a clock
 * stepped an hour forward sends no reminder and pages no `after: 15m` channel an hour early, one
 * stepped back holds none back an hour. `since` (the streak's first failing sweep) is left: it names
 * the incident, and nothing is timed from it. Pure; the state unchanged when nothing fires.
 */
export function stepAlertClocks(state: AlertState, ms: number): AlertState {
  const firing = state.firing;
  if (!firing) return state;
  const notified = (n: Notified): Notified => ({ ...n, at: moved(n.at, ms) });
  const next: FiringAlert = { ...firing, notified: firing.notified && notified(firing.notified) };
  if (firing.firedAt !== undefined) next.firedAt = moved(firing.firedAt, ms);
  if (firing.escalated) next.escalated = Object.fromEntries(Object.entries(firing.escalated).map(([channel, n]) => [channel, notified(n)]));
  if (firing.ownerTold)
    next.ownerTold = Object.fromEntries(Object.entries(firing.ownerTold).map(([problem, told]): [string, OwnerTold] => [problem, { ...told, at: moved(told.at, ms) }]));
  return { ...state, firing: next };
}
