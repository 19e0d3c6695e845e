import type { Health } from "../model.ts";
import type { OwnerTold, Severity } from "./types.ts";

/**
 * The per-bot alert state machine (README, "Alerts"), after Gatus' `watchdog/alerting.go`, as a pure function:
 * `step(previous state, one sweep, policy) → (next state, notifications owed)`. No I/O, no clock: the
 * sweep carries its own time. The caller persists the returned state and hands the events to the outbox.
 *
 * Rules:
 * - `degraded`/`down` is a bad sweep, `healthy` a good one. `unknown` is neither: it leaves both streaks
 *   as they were, so it never fires, never resolves, never resets a streak and never reminds.
 * - Fires after `failAfter` consecutive bad sweeps; `since` is the first bad sweep of that streak and the
 *   severity is the worst health seen in the streak, then the worst seen while firing (it never lowers).
 * - A firing alert whose severity rises above what receivers were told (degraded → down) sends a new
 *   `firing` event with `escalatedFrom: "degraded"` at once. Down → degraded says nothing.
 * - While firing, a bad sweep at least `repeatIntervalMs` after the last notification sends a `reminder`
 *   with the current worst severity. Every firing notification restarts that clock.
 * - Resolves after `recoverAfter` consecutive healthy sweeps; a bad sweep restarts the count. A `resolved`
 *   event goes out when `sendResolved` and a firing notification was actually emitted for this alert.
 *   The state is then idle again: the next failure is a new alert.
 * - Muted (silence or maintenance window): streaks, firing and severity are tracked as usual but no
 *   firing or reminder is emitted; the state records what receivers were last told (`notified`). On the
 *   first unmuted sweep where the alert is still firing, whatever is owed goes out: the `firing` event
 *   when nothing was ever announced, or the escalation when it got worse while muted (then reminders
 *   resume on bad sweeps, counted from the last notification actually sent).
 * - Resolved while muted: the `resolved` event goes out immediately, not when the silence ends.
 *   A silence mutes news about a problem someone already knows of; a resolved message closes an incident
 *   receivers already opened (a PagerDuty incident, a ticket, an Alertmanager alert, a pinned chat
 *   message). Holding it back leaves them showing an open incident for the rest of the window, which is
 *   the long-standing Alertmanager complaint (prometheus/alertmanager#226, fixed behind a flag by #4634).
 *   It is also what keeps the state simple: after a resolution nothing is owed, the state is idle.
 *   An alert that fired and resolved entirely while muted sends nothing at all.
 * - Restart: the state is plain JSON. Feeding a persisted state back in continues exactly where it
 *   stopped: no second firing, reminders keep their clock, the resolved message still goes out.
 */

export interface AlertPolicy {
  /** Consecutive bad sweeps before the alert fires (≥ 1). */
  failAfter: number;
  /** Consecutive healthy sweeps before a firing alert resolves (≥ 1). */
  recoverAfter: number;
  /** Re-notify a firing alert this often (milliseconds). */
  repeatIntervalMs: number;
  /** Send a `resolved` event when a notified alert resolves. */
  sendResolved: boolean;
}

export interface Observation {
  /** The bot's health in this sweep. */
  health: Health;
  /** When the sweep finished. */
  at: Date;
  /** A silence or maintenance window covers the bot now. */
  muted: boolean;
}

export type AlertEventKind = "firing" | "reminder" | "resolved";

export interface AlertEvent {
  kind: AlertEventKind;
  /** Worst severity while firing; for `resolved`, the severity that was firing. */
  severity: Severity;
  /** Set on the `firing` event that announces an escalation degraded → down. */
  escalatedFrom?: "degraded";
  /** ISO time of the first bad sweep of the streak that fired. */
  since: string;
  /** ISO time of the sweep that produced this event. */
  at: string;
  /** ISO time the alert resolved (`resolved` only): the sweep that completed `recoverAfter`. */
  endsAt?: string;
}

/** What receivers were last told about a firing alert. */
export interface Notified {
  /** Severity of the last firing (or escalation) notification emitted. */
  severity: Severity;
  /** ISO time of the last firing or reminder notification emitted; the reminder clock. */
  at: string;
  /** The firing alert's `stepMs` then (absent: 0). */
  stepMs?: number;
}

export interface FiringAlert {
  /** ISO time of the first bad sweep of the streak that fired. */
  since: string;
  /** Worst severity seen in the streak and while firing. */
  severity: Severity;
  /** null while the alert fired muted and nothing has been announced yet. */
  notified: Notified | null;
  /** ISO time of the sweep that made it fire (absent in states written before it was recorded). */
  firedAt?: string;
  /**
   * Channel name → ISO time it last took a notification of this alert (the outbox reports deliveries,
   * see AlertEngine.delivered); carried along by `step` untouched.
   */
  deliveredTo?: Record<string, string>;
  /** Problem → what the profile owner was told of it (owner-notices.ts); carried along by `step` untouched. */
  ownerTold?: Record<string, OwnerTold>;
  /**
   * Channel with `after` → what it was last told of this alert (escalation.ts): such a channel hears of it
   * only once it has fired that long, then keeps its own reminder clock; carried along by `step` untouched.
   */
  escalated?: Record<string, Notified>;
  /**
   * The wall-clock steps seen while it fired, summed in ms (wall-steps.ts; absent: none). Its times stay
   * as they were read; every wait timed from them (`repeatIntervalMs`, a channel's `after`, the owner's
   * reminders) takes away the steps since (`watchedMs`), so it counts the time the monitor watched: a
   * clock stepped an hour forward makes no reminder due and pages no `after: 15m` channel.
   */
  stepMs?: number;
}

/**
 * Persisted per bot (JSON: numbers, strings, null; times as ISO strings).
 * `IDLE_STATE` is the state of a bot with nothing going on; `isIdle()` tells the store it may drop it.
 */
export interface AlertState {
  /** Consecutive bad sweeps (unknown sweeps neither extend nor break the streak). */
  badStreak: number;
  /** ISO time of the first bad sweep of the current bad streak; null when `badStreak` is 0. */
  badSince: string | null;
  /** Worst health of the current bad streak; null when `badStreak` is 0. */
  badWorst: Severity | null;
  /** Consecutive healthy sweeps while firing (0 when not firing). */
  goodStreak: number;
  /** The firing alert, or null. */
  firing: FiringAlert | null;
}

export interface StepResult {
  state: AlertState;
  events: AlertEvent[];
}

export const IDLE_STATE: Readonly<AlertState> = Object.freeze({
  badStreak: 0,
  badSince: null,
  badWorst: null,
  goodStreak: 0,
  firing: null,
});

/** True when the state carries nothing worth persisting (no streak, nothing firing). */
export function isIdle(state: AlertState): boolean {
  return state.badStreak === 0 && state.firing === null;
}

/**
 * Milliseconds the monitor watched from `from` (an ISO time of this firing, read when its `stepMs` was
 * `stepMsThen`) to `at`: the wall difference less the wall-clock steps in between.
 */
export function watchedMs(firing: FiringAlert, from: string, stepMsThen: number | undefined, at: Date): number {
  return at.getTime() - Date.parse(from) - ((firing.stepMs ?? 0) - (stepMsThen ?? 0));
}

/** What receivers were told now, with the firing's steps so far (kept only once there were some). */
const toldNow = (firing: FiringAlert, severity: Severity, at: string): Notified => (firing.stepMs ? { severity, at, stepMs: firing.stepMs } : { severity, at });

const RANK: Record<Severity, number> = { degraded: 1, down: 2 };
const worse = (a: Severity, b: Severity): Severity => (RANK[b] > RANK[a] ? b : a);

/** Advances one bot's alert state by one sweep. Pure: same inputs, same outputs. */
export function step(previous: AlertState | undefined, observation: Observation, policy: AlertPolicy): StepResult {
  const at = observation.at.toISOString();
  const failAfter = Math.max(1, policy.failAfter);
  const recoverAfter = Math.max(1, policy.recoverAfter);
  const prev = previous ?? IDLE_STATE;
  let firing: FiringAlert | null = prev.firing && { ...prev.firing };
  let { badStreak, badSince, badWorst, goodStreak } = prev;
  const events: AlertEvent[] = [];

  const { health } = observation;
  const bad = health === "degraded" || health === "down";

  if (bad) {
    badStreak += 1;
    badSince ??= at;
    badWorst = badWorst === null ? health : worse(badWorst, health);
    goodStreak = 0;
    if (firing) firing.severity = worse(firing.severity, health);
    else if (badStreak >= failAfter) firing = { since: badSince, severity: badWorst, notified: null, firedAt: at };
  } else if (health === "healthy") {
    badStreak = 0;
    badSince = null;
    badWorst = null;
    if (firing) {
      goodStreak += 1;
      if (goodStreak >= recoverAfter) {
        if (policy.sendResolved && firing.notified)
          events.push({ kind: "resolved", severity: firing.severity, since: firing.since, at, endsAt: at });
        return { state: { ...IDLE_STATE }, events };
      }
    }
  }
  // "unknown": streaks untouched.

  if (firing && !observation.muted) {
    const owed = announcement(firing, firing.notified, observation, policy);
    if (owed) {
      events.push(owed.event);
      firing.notified = owed.told;
    }
  }

  return { state: { badStreak, badSince, badWorst, goodStreak: firing ? goodStreak : 0, firing }, events };
}

/**
 * What receivers that were last told `told` (null: nothing yet) are owed by this unmuted sweep of a firing
 * alert, and what they were told then: the firing, the escalation degraded → down, or a reminder on a bad
 * sweep `repeatIntervalMs` after the last one. Shared by the alert's own receivers and by each channel
 * that hears of it later (escalation.ts), so both follow the same rules.
 */
export function announcement(firing: FiringAlert, told: Notified | null, observation: Observation, policy: AlertPolicy): { event: AlertEvent; told: Notified } | undefined {
  const at = observation.at.toISOString();
  const { severity, since } = firing;
  if (told === null) return { event: { kind: "firing", severity, since, at }, told: toldNow(firing, severity, at) };
  if (RANK[severity] > RANK[told.severity]) return { event: { kind: "firing", severity, escalatedFrom: "degraded", since, at }, told: toldNow(firing, severity, at) };
  const bad = observation.health === "degraded" || observation.health === "down";
  if (bad && watchedMs(firing, told.at, told.stepMs, observation.at) >= policy.repeatIntervalMs)
    return { event: { kind: "reminder", severity, since, at }, told: toldNow(firing, told.severity, at) };
  return undefined;
}
