import { createHash } from "node:crypto";

/**
 * Silences and maintenance windows are one concept (README, "Alerts"): a time range and a label selector during
 * which a bot's notifications are muted (its checks still run and its alert state still moves, see
 * state-machine.ts). Maintenance windows from the config become silences with deterministic ids;
 * silences created through the admin API are stored as they are.
 */

export interface Silence {
  id: string;
  /**
   * Every matcher must hold (AND). Key `name` matches the bot's name; any other key matches the bot's
   * label of that name, exactly. Empty: every bot.
   */
  matchers: Record<string, string>;
  /** ISO time, inclusive. */
  startsAt: string;
  /** ISO time, exclusive. */
  endsAt: string;
  reason: string;
  createdBy?: string;
}

/** What a silence matches against. */
export interface SilenceTarget {
  name: string;
  labels: Record<string, string>;
}

/** `alerts.maintenance[]` as the config loader returns it (duration already in milliseconds). */
export interface MaintenanceWindow {
  bots: readonly string[];
  /** ISO time the window opens. */
  start: string;
  /** Milliseconds. */
  duration: number;
  reason?: string;
}

/** The matcher key that selects a bot by its name rather than a label. */
export const NAME_MATCHER = "name";

/** Author recorded on silences derived from `alerts.maintenance`. */
export const MAINTENANCE_AUTHOR = "config:alerts.maintenance";

/** True when `at` lies in [startsAt, endsAt). A silence with an unreadable time is never active. */
export function isActive(silence: Silence, at: Date): boolean {
  const t = at.getTime();
  return Date.parse(silence.startsAt) <= t && t < Date.parse(silence.endsAt);
}

/** True when every matcher of the silence holds for the bot (an empty selector matches every bot). */
export function matches(silence: Silence, bot: SilenceTarget): boolean {
  return Object.entries(silence.matchers).every(([key, value]) =>
    key === NAME_MATCHER ? bot.name === value : Object.hasOwn(bot.labels, key) && bot.labels[key] === value,
  );
}

/** The silences that mute this bot at `at`. */
export function activeSilences(bot: SilenceTarget, silences: readonly Silence[], at: Date): Silence[] {
  return silences.filter((s) => isActive(s, at) && matches(s, bot));
}

/** True when at least one silence mutes this bot at `at`. */
export function isMuted(bot: SilenceTarget, silences: readonly Silence[], at: Date): boolean {
  return silences.some((s) => isActive(s, at) && matches(s, bot));
}

/**
 * One silence per (window, bot), matching on the bot's name (a matcher holds one value per key).
 * Ids are a hash of bot, start and end, so they are stable across restarts and reordering of the
 * config; an identical window listed twice yields one silence.
 */
export function maintenanceToSilences(windows: readonly MaintenanceWindow[]): Silence[] {
  const byId = new Map<string, Silence>();
  for (const window of windows) {
    const start = Date.parse(window.start);
    if (Number.isNaN(start)) throw new RangeError(`alerts.maintenance: start ${JSON.stringify(window.start)} is not an ISO time`);
    const startsAt = new Date(start).toISOString();
    const endsAt = new Date(start + window.duration).toISOString();
    const reason = window.reason?.trim() || "maintenance window";
    for (const bot of window.bots) {
      const digest = createHash("sha256").update(JSON.stringify([bot, startsAt, endsAt])).digest("hex");
      const id = `maintenance-${digest.slice(0, 16)}`;
      if (!byId.has(id)) byId.set(id, { id, matchers: { [NAME_MATCHER]: bot }, startsAt, endsAt, reason, createdBy: MAINTENANCE_AUTHOR });
    }
  }
  return [...byId.values()];
}
