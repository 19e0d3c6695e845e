import { createHash } from "node:crypto";
import { CronOccurrences } from "./cron-occurrences.ts";
import { MAINTENANCE_AUTHOR, NAME_MATCHER, type Silence } from "./silences.ts";

/**
 * `alerts.maintenance[]` as the config loader returns it (duration in milliseconds): one window (`start`) or
 * a recurring one (`cron` in `timezone`, default UTC), muting the bots it names (`bots`) that carry every
 * label of `labels`.
 */
export interface MaintenanceWindow {
  bots?: readonly string[];
  labels?: Readonly<Record<string, string>>;
  /** ISO time the one window opens. */
  start?: string;
  /** node-cron expression: each occurrence opens a window. */
  cron?: string;
  /** IANA zone the cron expression is read in. */
  timezone?: string;
  /** Milliseconds. */
  duration: number;
  reason?: string;
}

/** One opening of a window, in ms since the epoch: [startsAt, endsAt). */
export interface Occurrence {
  startsAt: number;
  endsAt: number;
}

/** A window at one instant: the occurrence in effect then, and the next one to begin after it. */
export interface WindowAt {
  window: MaintenanceWindow;
  /** Stable across restarts: a digest of the window's definition. */
  id: string;
  current: Occurrence | null;
  next: Occurrence | null;
}

interface Compiled {
  window: MaintenanceWindow;
  id: string;
  /**
   * The latest occurrence that began at or before `at` (one that began more than `duration` and
   * REUSE_BEFORE_MS before it may be missed: it is over either way), and the first after it, as starts.
   */
  latest(at: number): number | null;
  after(at: number): number | null;
}

/** How far before the instant asked for a computed answer may be reused (see MaintenanceSchedule). */
const REUSE_BEFORE_MS = 5 * 60_000;

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);

function compile(window: MaintenanceWindow): Compiled {
  const id = `maintenance-${digest([window.bots ?? [], window.labels ?? {}, window.start ?? null, window.cron ?? null, window.timezone ?? null, window.duration])}`;
  if (window.cron !== undefined) {
    const occurrences = new CronOccurrences(window.cron, window.timezone ?? "UTC");
    return { window, id, latest: (at) => occurrences.latestStart(at, at - window.duration - REUSE_BEFORE_MS), after: (at) => occurrences.nextStart(at) };
  }
  const start = Date.parse(window.start ?? "");
  if (Number.isNaN(start)) throw new RangeError(`alerts.maintenance: start ${JSON.stringify(window.start)} is not an ISO time`);
  return { window, id, latest: (at) => (start <= at ? start : null), after: (at) => (start > at ? start : null) };
}

/**
 * The config's maintenance windows, one-off and recurring, at any instant: a monitor that starts in the
 * middle of an occurrence knows it is in effect (the latest occurrence before now is computed, not waited
 * for). Nothing here runs on a timer: whoever asks (each sweep's alert step, the status page, the admin
 * API, the metrics) asks for its own instant, so a window opens and closes with the next sweep after
 * its edge. The answer for an instant holds until the next edge of any window, and is kept until then.
 */
export class MaintenanceSchedule {
  private windows: Compiled[];
  private cached: { from: number; until: number; windows: WindowAt[]; silences: Silence[] } | undefined;

  constructor(windows: readonly MaintenanceWindow[]) {
    this.windows = windows.map(compile);
  }

  /** A reload: these windows from now on (the engine and the admin API read them through this schedule). */
  replace(windows: readonly MaintenanceWindow[]): void {
    this.windows = windows.map(compile);
    this.cached = undefined;
  }

  /** Every window at `at`: the occurrence in effect (one that began less than `duration` ago) and the next. */
  windowsAt(at: Date): WindowAt[] {
    return this.at(at.getTime()).windows;
  }

  /**
   * The windows as silences (one per bot a window names, else one on its labels): the occurrence in effect
   * at `at`, else the next one, else a one-off window's own (over) occurrence. Ids are stable across
   * restarts and reordering of the config: an identical window listed twice yields one silence.
   */
  silencesAt(at: Date): Silence[] {
    return this.at(at.getTime()).silences;
  }

  private at(t: number): { windows: WindowAt[]; silences: Silence[] } {
    if (this.cached && this.cached.from <= t && t < this.cached.until) return this.cached;
    // The answer holds from the latest edge before `t` (an occurrence's start or end) to the next after it.
    // Sweeps ask for their own start times, a little out of order: a few minutes back are covered too.
    let from = t - REUSE_BEFORE_MS;
    let until = Infinity;
    const windows = this.windows.map(({ window, id, latest, after }): WindowAt => {
      const begun = latest(t);
      const current = begun === null || begun + window.duration <= t ? null : occurrence(begun, window);
      if (begun !== null) from = Math.max(from, current ? begun : begun + window.duration);
      const nextStart = after(t);
      const next = nextStart === null ? null : occurrence(nextStart, window);
      until = Math.min(until, current?.endsAt ?? Infinity, next?.startsAt ?? Infinity);
      return { window, id, current, next };
    });
    const silences = toSilences(windows);
    this.cached = { from, until, windows, silences };
    return this.cached;
  }
}

const occurrence = (startsAt: number, window: MaintenanceWindow): Occurrence => ({ startsAt, endsAt: startsAt + window.duration });

function toSilences(windows: readonly WindowAt[]): Silence[] {
  const byId = new Map<string, Silence>();
  for (const { window, current, next } of windows) {
    const shown = current ?? next ?? (window.start !== undefined ? occurrence(Date.parse(window.start), window) : null);
    if (!shown || Number.isNaN(shown.startsAt)) continue;
    const startsAt = new Date(shown.startsAt).toISOString();
    const endsAt = new Date(shown.endsAt).toISOString();
    const reason = window.reason?.trim() || "maintenance window";
    const labels = window.labels ?? {};
    const selectors = window.bots?.length ? window.bots.map((bot) => ({ [NAME_MATCHER]: bot, ...labels })) : [{ ...labels }];
    for (const matchers of selectors) {
      // A window on names alone keeps the id it had before windows could select by labels.
      const key = Object.keys(matchers).length === 1 && matchers[NAME_MATCHER] !== undefined ? matchers[NAME_MATCHER] : sorted(matchers);
      const id = `maintenance-${digest([key, startsAt, endsAt])}`;
      if (!byId.has(id)) byId.set(id, { id, matchers, startsAt, endsAt, reason, createdBy: MAINTENANCE_AUTHOR });
    }
  }
  return [...byId.values()];
}

const sorted = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

/** The windows as silences at `at` (see MaintenanceSchedule.silencesAt). */
export function maintenanceToSilences(windows: readonly MaintenanceWindow[], at = new Date()): Silence[] {
  return new MaintenanceSchedule(windows).silencesAt(at);
}
