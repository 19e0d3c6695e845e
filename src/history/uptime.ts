import type { Health } from "../model.ts";
import { DAY_MS, intersect, length, subtract, union, utcDay, type Span } from "./spans.ts";

/**
 * Uptime, exact, from the transitions (README, "Storage and history"). Pure: no clock, no I/O; times are epoch ms.
 *
 * A bot's health is known only while the monitor ran (a run covers its start to its last heartbeat: the
 * time after the last heartbeat, a crash or a hang, is not known), after the bot was first seen, and while
 * its health was not `unknown`. Everything else in the window is a gap: never up, left out of every ratio.
 */

export interface HealthTransition {
  at: number;
  health: Health;
  message?: string | null;
}

/** One run of the monitor. Its known time ends at the last heartbeat, whatever `stoppedAt` says. */
export interface MonitorRun {
  startedAt: number;
  /** The last heartbeat; the running monitor passes its own run with `now`. */
  heartbeatAt: number;
  stoppedAt?: number | null;
}

export interface BotHistory {
  /** The window [from, to). */
  from: number;
  to: number;
  /** The last transition before `from`, if any: the health the window starts in. */
  before?: HealthTransition | undefined;
  /** The transitions in [from, to), in time order. */
  transitions: readonly HealthTransition[];
  /** The bot's first sweep: nothing before it is known. */
  firstSeen?: number | undefined;
  runs: readonly MonitorRun[];
}

export type KnownHealth = Exclude<Health, "unknown">;

export interface HealthSegment extends Span {
  health: KnownHealth;
}

export interface Timeline {
  /** Known health, in time order, adjacent equal healths joined. */
  health: HealthSegment[];
  /** The rest of the window. */
  gaps: Span[];
}

export interface Durations {
  windowMs: number;
  knownMs: number;
  /** Known and not down (healthy or degraded). */
  upMs: number;
  healthyMs: number;
  downMs: number;
}

export interface Uptime {
  /** Time not down ÷ known time; null without known time. */
  up: number | null;
  /** Time healthy ÷ known time; null without known time. */
  healthy: number | null;
  /** Known time ÷ window; null for an empty window. */
  known: number | null;
}

/** The time the monitor knew something: every run from its start to its last heartbeat. */
export const coverage = (runs: readonly MonitorRun[]): Span[] => union(runs.map((r) => ({ from: r.startedAt, to: r.heartbeatAt })));

/** `runsCoverage`: coverage(history.runs), when the caller computes it once for many bots. */
export function timeline(history: BotHistory, runsCoverage: readonly Span[] = coverage(history.runs)): Timeline {
  const { from, to } = history;
  const window: Span = { from, to };
  const knownFrom = Math.max(from, history.firstSeen ?? -Infinity);
  const covered = intersect({ from: knownFrom, to }, runsCoverage);
  const health: HealthSegment[] = [];
  for (const state of states(history)) {
    if (state.health === "unknown") continue;
    for (const part of intersect(state, covered)) {
      const last = health.at(-1);
      if (last && last.health === state.health && last.to === part.from) last.to = part.to;
      else health.push({ ...part, health: state.health });
    }
  }
  return { health, gaps: subtract(window, health) };
}

/** The bot's health as the transitions tell it, span by span over the window (before any transition: none). */
function states(history: BotHistory): { from: number; to: number; health: Health }[] {
  const { from, to } = history;
  const points = history.transitions.filter((t) => t.at >= from && t.at < to);
  if (history.before && history.before.at < from) points.unshift({ ...history.before, at: from });
  return points.map((t, i) => ({ from: t.at, to: points[i + 1]?.at ?? to, health: t.health })).filter((s) => s.to > s.from);
}

export function durations(history: BotHistory): Durations {
  return durationsOf(timeline(history), history.to - history.from);
}

export function durationsOf(line: Timeline, windowMs: number): Durations {
  const of = (h: KnownHealth) => length(line.health.filter((s) => s.health === h));
  const knownMs = length(line.health);
  const downMs = of("down");
  return { windowMs, knownMs, upMs: knownMs - downMs, healthyMs: of("healthy"), downMs };
}

/** Sums durations of pieces of one window (full days from rollups, partial days from transitions). */
export function addDurations(parts: readonly Durations[]): Durations {
  const sum = (key: keyof Durations) => parts.reduce((total, p) => total + p[key], 0);
  return { windowMs: sum("windowMs"), knownMs: sum("knownMs"), upMs: sum("upMs"), healthyMs: sum("healthyMs"), downMs: sum("downMs") };
}

export function uptime(d: Durations): Uptime {
  return {
    up: d.knownMs > 0 ? d.upMs / d.knownMs : null,
    healthy: d.knownMs > 0 ? d.healthyMs / d.knownMs : null,
    known: d.windowMs > 0 ? d.knownMs / d.windowMs : null,
  };
}

/** One cell of the 90-day bar: a UTC day. */
export interface DayCell {
  /** YYYY-MM-DD, UTC. */
  date: string;
  from: number;
  /** The worst known health that day; null (grey) when nothing is known. */
  worst: KnownHealth | null;
  downMs: number;
  knownMs: number;
}

const RANK: Record<KnownHealth, number> = { healthy: 0, degraded: 1, down: 2 };

/** The worst of a set of known healths; null for none. */
export function worstOf(healths: Iterable<KnownHealth>): KnownHealth | null {
  let worst: KnownHealth | null = null;
  for (const h of healths) if (worst === null || RANK[h] > RANK[worst]) worst = h;
  return worst;
}

/** Per UTC day that [from, to) touches (whole days: the first and last are clipped to the window). */
export function dailyBar(history: BotHistory): DayCell[] {
  const line = timeline(history);
  const cells: DayCell[] = [];
  for (let day = utcDay(history.from); day * DAY_MS < history.to; day++) {
    const span = { from: Math.max(day * DAY_MS, history.from), to: Math.min((day + 1) * DAY_MS, history.to) };
    const parts = line.health.flatMap((s) => intersect(span, [s]).map((p) => ({ ...p, health: s.health })));
    cells.push({
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
      from: day * DAY_MS,
      worst: worstOf(parts.map((p) => p.health)),
      downMs: length(parts.filter((p) => p.health === "down")),
      knownMs: length(parts),
    });
  }
  return cells;
}
