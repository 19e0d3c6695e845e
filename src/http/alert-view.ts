import type { AlertState } from "../alerts/state-machine.ts";
import { isActive, matches, NAME_MATCHER, type Silence, type SilenceTarget } from "../alerts/silences.ts";

/** What the status views read of alerting: the engine's alert states and silences, the outbox's backlog. */
export interface AlertSource {
  /** A bot's alert state; undefined when nothing is going on. */
  alertState(name: string): Readonly<AlertState> | undefined;
  /** Consecutive bad sweeps before an alert fires. */
  readonly failAfter: number;
  /** Every silence, active or not: the config's maintenance windows and the admin API's silences. */
  silences(): { maintenance: readonly Silence[]; silences: readonly Silence[] };
  /** Channels still owed a notification, per alert key (the outbox, read once per view). */
  undelivered(): ReadonlyMap<string, readonly string[]>;
}

/**
 * A bot's alert, in the words Prometheus and Alertmanager users read: `state` pending (failing, not yet
 * `firesAfter` sweeps in a row) or firing, `startsAt` the first failing sweep of the streak.
 */
export interface AlertView {
  state: "pending" | "firing";
  /** Worst health of the streak, and while firing (it never lowers). */
  severity: "degraded" | "down";
  /** ISO time of the first failing sweep of the streak. */
  startsAt: string;
  /** ISO time of the sweep that fired it; null while pending (or in a state written before it was kept). */
  firedAt: string | null;
  /** Failing sweeps in a row so far (unknown sweeps neither add nor break). */
  failingSweeps: number;
  firesAfter: number;
  /** Channels that took a notification of this alert, by name. Empty while muted or still being delivered. */
  notified: string[];
  /** ISO time of the last firing or reminder notification emitted; null when none was (muted). */
  lastNotifiedAt: string | null;
  /** Channels with a notification of this bot still in the outbox (being retried). */
  undelivered: string[];
}

/** The silences muting a bot now; the one shown is the one that lasts longest. */
export interface SilenceView {
  /** "maintenance" for a config `alerts.maintenance` window, "silence" for one made through the admin API. */
  by: "silence" | "maintenance";
  id: string;
  reason: string;
  startsAt: string;
  /** ISO time the bot's notifications are muted until (exclusive). */
  endsAt: string;
  createdBy: string | null;
  /** Every active silence muting the bot, the one shown first (Alertmanager's `silencedBy`). */
  silencedBy: string[];
}

export function alertView(name: string, source: AlertSource, undelivered: ReadonlyMap<string, readonly string[]>): AlertView | null {
  const state = source.alertState(name);
  if (!state) return null;
  const base = { failingSweeps: state.badStreak, firesAfter: source.failAfter, undelivered: [...(undelivered.get(name) ?? [])].sort() };
  const firing = state.firing;
  if (firing)
    return {
      state: "firing",
      severity: firing.severity,
      startsAt: firing.since,
      firedAt: firing.firedAt ?? null,
      ...base,
      notified: Object.keys(firing.deliveredTo ?? {}).sort(),
      lastNotifiedAt: firing.notified?.at ?? null,
    };
  if (state.badStreak === 0 || state.badSince === null || state.badWorst === null) return null;
  return { state: "pending", severity: state.badWorst, startsAt: state.badSince, firedAt: null, ...base, notified: [], lastNotifiedAt: null };
}

/**
 * The silences active at `at`, indexed once per view: those that select a bot by name are looked up by
 * it, so a fleet with a maintenance window per bot is not a fleet-squared scan.
 */
export function silenceIndex(all: ReturnType<AlertSource["silences"]>, at: Date): (bot: SilenceTarget) => SilenceView | null {
  const maintenance = new Set(all.maintenance);
  const byName = new Map<string, Silence[]>();
  const others: Silence[] = [];
  for (const s of [...all.maintenance, ...all.silences]) {
    if (!isActive(s, at)) continue;
    const name = s.matchers[NAME_MATCHER];
    if (name === undefined) others.push(s);
    else byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  return (bot) => {
    const muting = [...(byName.get(bot.name) ?? []), ...others].filter((s) => matches(s, bot));
    if (muting.length === 0) return null;
    muting.sort((a, b) => Date.parse(b.endsAt) - Date.parse(a.endsAt));
    const shown = muting[0]!;
    return {
      by: maintenance.has(shown) ? "maintenance" : "silence",
      id: shown.id,
      reason: shown.reason,
      startsAt: shown.startsAt,
      endsAt: shown.endsAt,
      createdBy: shown.createdBy ?? null,
      silencedBy: muting.map((s) => s.id),
    };
  };
}

/** A maintenance window of the bot that has not begun yet: when it opens and closes, and why. */
export interface NextMaintenanceView {
  id: string;
  reason: string;
  startsAt: string;
  endsAt: string;
}

/** Each bot's next maintenance window after `at` (the soonest to open), indexed by name as silenceIndex is. */
export function nextMaintenanceIndex(maintenance: readonly Silence[], at: Date): (bot: SilenceTarget) => NextMaintenanceView | null {
  const upcoming = maintenance.filter((s) => Date.parse(s.startsAt) > at.getTime()).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const byName = new Map<string, Silence[]>();
  const others: Silence[] = [];
  for (const s of upcoming) {
    const name = s.matchers[NAME_MATCHER];
    if (name === undefined) others.push(s);
    else byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  return (bot) => {
    const next = [...(byName.get(bot.name) ?? []), ...others].filter((s) => matches(s, bot)).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt))[0];
    return next ? { id: next.id, reason: next.reason, startsAt: next.startsAt, endsAt: next.endsAt } : null;
  };
}
