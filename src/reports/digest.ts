import type { HistoryReader } from "../history/history.ts";
import type { Incident } from "../history/incidents.ts";
import type { Uptime } from "../history/uptime.ts";
import type { FailedNotifications, FailingBot, ReportDigest, ReportIncident } from "./digest-types.ts";

export type { FailedNotifications, FailingBot, ReportDigest, ReportIncident } from "./digest-types.ts";

/** Bots listed as the worst. */
export const WORST_BOTS = 10;
/** Incidents one digest reads at most (a fleet in trouble all week still gets a report). */
export const MAX_INCIDENTS = 5000;
/** Failed attempts read at most per result. */
const MAX_ATTEMPTS = 20_000;

/** What the digest reads: the history's reads (both engines) and the fleet's uptime over any window. */
export type DigestSource = Pick<HistoryReader, "incidents" | "notifications"> & {
  fleetUptimeOver(now: number, windowMs: number): Promise<Map<string, Uptime>>;
};

export interface DigestOptions {
  name: string;
  /** The digest's end, epoch ms. */
  now: number;
  windowMs: number;
  /** The window as written, for people. */
  window: string;
  failing: readonly FailingBot[];
}

/** The digest of [now − window, now). Rejects when the store cannot be read (the caller logs and retries). */
export async function buildDigest(source: DigestSource, o: DigestOptions): Promise<ReportDigest> {
  const from = o.now - o.windowMs;
  const [uptimes, incidents, failed, dropped] = await Promise.all([
    source.fleetUptimeOver(o.now, o.windowMs),
    source.incidents({ from, to: o.now, limit: MAX_INCIDENTS }),
    source.notifications({ from, to: o.now, result: "failed", limit: MAX_ATTEMPTS }),
    source.notifications({ from, to: o.now, result: "dropped", limit: MAX_ATTEMPTS }),
  ]);
  return {
    name: o.name,
    from: iso(from),
    to: iso(o.now),
    window: o.window,
    fleet: fleetUptime(uptimes),
    worst: worstBots(uptimes),
    // The reads answer newest first; a digest reads as a story, oldest first.
    incidents: incidents.map((i) => reportIncident(i, o.now)).reverse(),
    incidentsCut: incidents.length >= MAX_INCIDENTS,
    failing: [...o.failing].sort((a, b) => severityRank(b.health) - severityRank(a.health) || a.since.localeCompare(b.since) || a.bot.localeCompare(b.bot)),
    notifications: byChannel([...failed, ...dropped]),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const severityRank = (health: string) => (health === "down" ? 2 : health === "degraded" ? 1 : 0);

/** The fleet's ratios: every bot weighs its known time (the window is the same for each). */
export function fleetUptime(uptimes: ReadonlyMap<string, Uptime>): ReportDigest["fleet"] {
  let known = 0;
  let up = 0;
  let healthy = 0;
  for (const u of uptimes.values()) {
    if (u.known === null || u.known === 0 || u.up === null) continue;
    known += u.known;
    up += u.up * u.known;
    healthy += (u.healthy ?? 0) * u.known;
  }
  const bots = uptimes.size;
  if (known === 0) return { up: null, healthy: null, known: bots === 0 ? null : 0, bots };
  return { up: up / known, healthy: healthy / known, known: known / bots, bots };
}

/** The bots that were down some of the window, lowest `up` first (ties: lowest `healthy`, then name). */
export function worstBots(uptimes: ReadonlyMap<string, Uptime>, count = WORST_BOTS): ReportDigest["worst"] {
  return [...uptimes]
    .filter(([, u]) => u.up !== null && u.up < 1)
    .sort(([a, x], [b, y]) => x.up! - y.up! || (x.healthy ?? 0) - (y.healthy ?? 0) || a.localeCompare(b))
    .slice(0, count)
    .map(([bot, u]) => ({ bot, ...u }));
}

function reportIncident(i: Incident, now: number): ReportIncident {
  return {
    bot: i.bot,
    start: iso(i.start),
    end: i.end === null ? null : iso(i.end),
    durationMs: Math.max(0, (i.end ?? now) - i.start),
    worst: i.worst,
    checks: i.checks.map((c) => ({ check: c.check, status: c.status, message: c.message })),
    silenced: i.silenced,
  };
}

function byChannel(attempts: ReadonlyArray<{ at: number; channel: string; result: string; error?: string | null }>): FailedNotifications[] {
  const out = new Map<string, FailedNotifications & { lastAt: number }>();
  for (const a of attempts) {
    const entry = out.get(a.channel) ?? { channel: a.channel, failed: 0, dropped: 0, lastError: null, lastAt: -Infinity };
    if (a.result === "dropped") entry.dropped++;
    else entry.failed++;
    if (a.at > entry.lastAt) {
      entry.lastAt = a.at;
      entry.lastError = a.error ?? null;
    }
    out.set(a.channel, entry);
  }
  return [...out.values()].sort((a, b) => a.channel.localeCompare(b.channel)).map(({ lastAt: _lastAt, ...rest }) => rest);
}
