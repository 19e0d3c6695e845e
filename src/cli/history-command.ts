import { formatDuration, parseDuration } from "../config/duration.ts";
import type { Config } from "../config/schema.ts";
import type { Uptime } from "../history/uptime.ts";
import { uptimePercent } from "../http/badge.ts";
import { MAX_RANGE_MS } from "../http/history-query.ts";
import { incidentView, iso, type IncidentView } from "../http/history-view.ts";
import { DatabaseError } from "../store/sqlite/errors.ts";
import { openStoredHistory, type StoredHistory } from "../store/sqlite/history-reader.ts";
import { openPostgresHistory } from "../store/postgres/history-reader.ts";
import { describeUrl } from "../store/postgres/pool.ts";
import { UsageError } from "./check-command.ts";

/**
 * `secretary-watch history [--config PATH] [--bot NAME] [--since 7d] [--json]` (README, "Command line"):
 * each bot's uptime over the last `--since` and the incidents in it, read from the store the config names.
 * It opens the database read-only, so it runs beside the service that writes it; the service's known time
 * reaches its last heartbeat (15 s ago at most).
 */

export const DEFAULT_SINCE = "7d";

/** Incidents listed at most (newest first). */
const MAX_INCIDENTS = 1000;

export interface HistoryReport {
  from: string;
  to: string;
  /** The database read (store.path). */
  database: string;
  /** Every bot of the config and every bot with history, by name: uptime over the range, its open incident. */
  bots: Array<{ bot: string; uptime: Uptime; incidents: number; incident: IncidentView | null }>;
  /** Incidents overlapping the range, newest first. */
  incidents: IncidentView[];
}

/** `--since`: a duration such as 24h, 7d or 30d, at most the longest range the HTTP history reads. */
export function parseSince(value: string | undefined): number {
  const text = value ?? DEFAULT_SINCE;
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) throw new UsageError(`--since: expected a duration such as 24h, 7d or 30d, got "${text}"`);
  if (ms > MAX_RANGE_MS) throw new UsageError(`--since: at most ${formatDuration(MAX_RANGE_MS)}, got "${text}"`);
  return ms;
}

/** A bot of the config the store knows nothing of: no known time in the window. */
const NO_UPTIME: Uptime = { up: null, healthy: null, known: 0 };

/** What the store says of the range [now - sinceMs, now): every bot (or `only`) and the incidents. */
export async function historyReport(stored: StoredHistory["history"], o: { configBots: readonly string[]; only?: string | undefined; now: number; sinceMs: number; database: string }): Promise<HistoryReport> {
  const from = o.now - o.sinceMs;
  const [uptimes, incidents, open] = await Promise.all([
    o.only === undefined ? stored.fleetUptimeOver(o.now, o.sinceMs) : stored.botHistory(o.only, from, o.now).then((h) => new Map([[h.bot, h.uptime]])),
    stored.incidents({ from, to: o.now, limit: MAX_INCIDENTS, ...(o.only !== undefined && { bot: o.only }) }),
    stored.openIncidents(),
  ]);
  if (o.only !== undefined && !o.configBots.includes(o.only) && (uptimes.get(o.only)?.known ?? 0) === 0 && incidents.length === 0)
    throw new UsageError(`--bot: no bot named "${o.only}" in the config or in the history`);
  const names = o.only !== undefined ? [o.only] : [...new Set([...o.configBots, ...uptimes.keys()])].sort();
  return {
    from: iso(from),
    to: iso(o.now),
    database: o.database,
    bots: names.map((bot) => {
      const incident = open.get(bot);
      return { bot, uptime: uptimes.get(bot) ?? NO_UPTIME, incidents: incidents.filter((i) => i.bot === bot).length, incident: incident ? incidentView(incident) : null };
    }),
    incidents: incidents.map(incidentView),
  };
}

/** Runs the command: the table (or `--json`) on stdout; 2 when the config's store (store.url, else store.path) holds no readable database. */
export async function runHistory(config: Config, args: { bot?: string | undefined; since?: string | undefined; json?: boolean | undefined }, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const sinceMs = parseSince(args.since);
  let stored: StoredHistory;
  try {
    stored = config.store.url ? await openPostgresHistory(config.store.url) : openStoredHistory(config.store.path);
  } catch (e) {
    if (!(e instanceof DatabaseError)) throw e;
    err(`secretary-watch history: ${e.message}\n`);
    return 2;
  }
  try {
    const database = config.store.url ? describeUrl(config.store.url) : config.store.path;
    const report = await historyReport(stored.history, { configBots: config.bots.map((b) => b.name), only: args.bot, now: Date.now(), sinceMs, database });
    out(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderHistoryTable(report, args.since ?? DEFAULT_SINCE));
    return 0;
  } finally {
    await stored.close();
  }
}

const percent = (ratio: number | null) => (ratio === null ? "no data" : uptimePercent(ratio));
const shortTime = (at: string) => at.replace(/\.\d{3}Z$/, "Z");

/** The table a person reads: a line per bot, then each incident with its failing checks and who was told. */
export function renderHistoryTable(report: HistoryReport, since: string): string {
  const width = Math.max(4, ...report.bots.map((b) => b.bot.length)) + 2;
  const lines = [`history of the last ${since} (${shortTime(report.from)} to ${shortTime(report.to)}), from ${report.database}`, ""];
  lines.push(`${"BOT".padEnd(width)}${"UP".padEnd(10)}${"HEALTHY".padEnd(10)}${"KNOWN".padEnd(10)}${"INCIDENTS".padEnd(11)}NOW`);
  for (const b of report.bots) {
    const now = b.incident ? `${b.incident.worst}, firing since ${shortTime(b.incident.start)}` : "-";
    lines.push(`${b.bot.padEnd(width)}${percent(b.uptime.up).padEnd(10)}${percent(b.uptime.healthy).padEnd(10)}${percent(b.uptime.known).padEnd(10)}${String(b.incidents).padEnd(11)}${now}`);
  }
  lines.push("", report.incidents.length === 0 ? "no incidents" : `incidents, newest first (${report.incidents.length}${report.incidents.length === MAX_INCIDENTS ? ", the newest only" : ""}):`);
  for (const i of report.incidents) {
    const lasted = i.end === null ? "open" : formatDuration(Math.round((Date.parse(i.end) - Date.parse(i.start)) / 1000) * 1000);
    lines.push(`  ${i.bot}  ${i.worst}  ${shortTime(i.start)} → ${i.end === null ? "now" : shortTime(i.end)} (${lasted})${i.silenced ? ", silenced" : ""}`);
    for (const c of i.checks) lines.push(`      ${c.check} ${c.status}: ${c.message}`);
    const told = i.notifications.map((n) => `${n.channel} ${n.kind} ${n.result}`);
    lines.push(`      notified: ${told.length === 0 ? "nobody" : told.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}
