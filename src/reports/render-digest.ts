import { formatDuration, formatTime, type Line, type Span } from "../alerts/channels/line-parts.ts";
import { uptimePercent } from "../http/badge.ts";
import type { ReportDigest, ReportIncident } from "./digest-types.ts";

/**
 * The wording of a report, as the lines render.ts turns into text or HTML (so every value is escaped
 * the same way as an alert's). `full` (e-mail, the command line) lists every incident with its failing
 * checks; `compact` (Telegram, ntfy: a few thousand characters) lists the first ones on one line each
 * and says how many it left out.
 */
export type DigestForm = "full" | "compact";

/** How much the compact form lists of each part. */
export const COMPACT_LIMITS = { failing: 10, worst: 5, incidents: 15, notifications: 5 } as const;

const plain = (text: string): Span => ({ text });
const bold = (text: string): Span => ({ text, style: "b" });
const italic = (text: string): Span => ({ text, style: "i" });

export const percent = (ratio: number | null): string => (ratio === null ? "no data" : uptimePercent(ratio));

/** The one-line summary: subjects, titles, the fallback text of chat cards. */
export function digestSummary(d: ReportDigest): string {
  const incidents = d.incidents.length === 1 ? "1 incident" : `${d.incidents.length}${d.incidentsCut ? "+" : ""} incidents`;
  const failing = d.failing.length === 0 ? "no bot failing" : d.failing.length === 1 ? "1 bot still failing" : `${d.failing.length} bots still failing`;
  return `${d.name} report, last ${d.window}: ${percent(d.fleet.up)} up, ${incidents}, ${failing}`;
}

/** `2026-11-23 09:00 UTC to 2026-11-30 09:00 UTC (7d)`. */
export function digestPeriod(d: ReportDigest): string {
  return `${formatTime(d.from)} to ${formatTime(d.to)} (${d.window})`;
}

/** `99.52% up, 98.10% healthy, known 97.00% of the time (12 bots)`. */
export function fleetLine(d: ReportDigest): string {
  const bots = d.fleet.bots === 1 ? "1 bot" : `${d.fleet.bots} bots`;
  return `${percent(d.fleet.up)} up, ${percent(d.fleet.healthy)} healthy, known ${percent(d.fleet.known)} of the time (${bots})`;
}

/** `anna: down since 2026-11-29 10:00 UTC (token, rights)`. */
export function failingLine(f: ReportDigest["failing"][number]): string {
  return `${f.bot}: ${f.health} since ${formatTime(f.since)}${f.checks.length > 0 ? ` (${f.checks.join(", ")})` : ""}`;
}

/** `down from 2026-11-24 10:00 UTC for 2h 5m`, `, still open`, `, silenced`. */
export function incidentLine(i: ReportIncident): string {
  const state = i.end === null ? ", still open" : "";
  return `${i.worst} from ${formatTime(i.start)} for ${formatDuration(i.durationMs)}${state}${i.silenced ? ", silenced" : ""}`;
}

/** `ops-mail: 3 failed attempts, 1 dropped; last error: …`. */
export function notificationLine(n: ReportDigest["notifications"][number]): string {
  const parts = [n.failed > 0 ? `${n.failed} failed attempt${n.failed === 1 ? "" : "s"}` : "", n.dropped > 0 ? `${n.dropped} dropped (never delivered)` : ""].filter(Boolean);
  return `${n.channel}: ${parts.join(", ")}${n.lastError ? `; last error: ${n.lastError}` : ""}`;
}

/** The report's lines after its title line (render.ts writes the title as for every notification). */
export function digestLines(d: ReportDigest, form: DigestForm, url?: string): Line[] {
  const compact = form === "compact";
  const lines: Line[] = [[plain("Period: "), bold(digestPeriod(d))], [plain("Fleet uptime: "), bold(fleetLine(d))]];

  section(lines, "Still failing now", d.failing, compact ? COMPACT_LIMITS.failing : Infinity, (f) => [[plain("• "), bold(f.bot), plain(failingLine(f).slice(f.bot.length))]]);
  section(lines, "Lowest uptime", d.worst, compact ? COMPACT_LIMITS.worst : Infinity, (w) => [[plain("• "), bold(w.bot), plain(`: ${percent(w.up)} up, ${percent(w.healthy)} healthy`)]]);
  const heading = `Incidents, oldest first${d.incidentsCut ? " (the newest only)" : ""}`;
  section(lines, heading, d.incidents, compact ? COMPACT_LIMITS.incidents : Infinity, (i) => {
    const head: Line = [plain("• "), bold(i.bot), plain(`: ${incidentLine(i)}`)];
    if (compact) return [i.checks.length > 0 ? [...head, plain(` (${i.checks.map((c) => c.check).join(", ")})`)] : head];
    return [head, ...i.checks.map((c): Line => [plain("   "), italic(c.check), plain(` (${c.status}): ${c.message}`)])];
  });
  if (d.incidents.length === 0) lines.push([], [plain("No incidents.")]);
  section(lines, "Notifications not delivered at the first attempt", d.notifications, compact ? COMPACT_LIMITS.notifications : Infinity, (n) => [[plain("• "), plain(notificationLine(n))]]);

  if (url) lines.push([], [{ text: "Status page", href: url }]);
  return lines;
}

/** A heading with the count, then each item's lines, at most `limit` items and a line for the rest. */
function section<T>(lines: Line[], heading: string, items: readonly T[], limit: number, render: (item: T) => Line[]): void {
  if (items.length === 0) return;
  lines.push([], [bold(`${heading} (${items.length}):`)]);
  for (const item of items.slice(0, limit)) lines.push(...render(item));
  if (items.length > limit) lines.push([italic(`… and ${items.length - limit} more (the e-mail report and secretary-watch report list them all).`)]);
}
