/**
 * Silences and maintenance windows are one concept (README, "Alerts"): a time range and a label selector during
 * which a bot's notifications are muted (its checks still run and its alert state still moves, see
 * state-machine.ts). Maintenance windows from the config become silences with deterministic ids, one
 * occurrence at a time (maintenance-windows.ts); silences created through the admin API are stored as they are.
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

/** The longest a silence may last, and how far ahead it may end: a year. Longer is a typo (or no date at all). */
export const MAX_SILENCE_MS = 365 * 86_400_000;
const MAX_TEXT = "a year (365d)";

/** A silence's window as asked for: `startsAt` (default now) and either `endsAt` or a duration in ms. */
export interface SilenceWindowInput {
  startsAt?: string;
  endsAt?: string;
  durationMs?: number;
}

export type SilenceWindow =
  | { ok: true; startsAt: string; endsAt: string }
  | { ok: false; field: "startsAt" | "endsAt" | "duration"; message: string };

/**
 * Checks a silence's window at `now` (ms): valid dates, an end after the start, in the future and at
 * most a year from now, a duration of at most a year. The message starts with the field it is about.
 */
export function silenceWindow(input: SilenceWindowInput, now: number): SilenceWindow {
  const problem = (field: "startsAt" | "endsAt" | "duration", text: string): SilenceWindow => ({ ok: false, field, message: `${field}: ${text}` });
  const start = input.startsAt === undefined ? now : Date.parse(input.startsAt);
  if (Number.isNaN(start)) return problem("startsAt", `${JSON.stringify(input.startsAt)} is not a valid date`);
  let end: number;
  let field: "endsAt" | "duration";
  if (input.endsAt !== undefined) {
    end = Date.parse(input.endsAt);
    field = "endsAt";
    if (Number.isNaN(end)) return problem("endsAt", `${JSON.stringify(input.endsAt)} is not a valid date`);
  } else {
    const ms = input.durationMs ?? 0;
    if (!(ms > 0)) return problem("duration", "must be longer than 0s");
    if (!(ms <= MAX_SILENCE_MS)) return problem("duration", `at most ${MAX_TEXT}`);
    end = start + ms;
    field = "duration";
  }
  if (end <= now) return problem(field, field === "endsAt" ? "must be in the future" : "the silence would end in the past (startsAt + duration)");
  if (end <= start) return problem("endsAt", "must be after startsAt");
  if (end - now > MAX_SILENCE_MS) return problem(field, `the silence must end at most ${MAX_TEXT} from now`);
  // Times given are kept as written; computed ones are ISO.
  return { ok: true, startsAt: input.startsAt ?? new Date(start).toISOString(), endsAt: input.endsAt ?? new Date(end).toISOString() };
}
