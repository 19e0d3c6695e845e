import type { AlertCheck, AlertMessage } from "../types.ts";
import { digestPeriod, failingLine, fleetLine, incidentLine } from "../../reports/render-digest.ts";
import { durationSuffix, formatTime, kindTitle, oneLine } from "./render.ts";

/**
 * What a chat card says, the same on Slack, Discord and Teams: a title, a few facts, the checks and the
 * link. Each of those channels lays it out in its own markup and escapes it in its own way; what is
 * shared here is the wording and the arithmetic of fitting it under a vendor's limits.
 */

/** What colours a card: the health of a bot's alert, the monitor's own alert, a resolution or a test. */
export type CardTone = "down" | "degraded" | "healthy" | "monitor" | "test";

export interface CardFact {
  label: string;
  value: string;
}

export interface ChatCard {
  tone: CardTone;
  /** `🔴 FIRING: anna (@anna_secretary_bot) is down`, one line. */
  title: string;
  /** Bot or scope, labels, health, since, resolved. */
  facts: CardFact[];
  /** `Failing checks (3)`; absent without checks. */
  checksHeading?: string;
  checks: AlertCheck[];
  /** A sentence some kinds need: what a test is, that every check passes again. */
  note?: string;
  /** The bot's page (or the status page) when the service has a public URL. */
  url?: string;
}

/** The text of the link to `url`. */
export const PAGE_LINK_TEXT = "Open the status page";

const ICONS: Record<CardTone, string> = { down: "🔴", degraded: "🟠", healthy: "✅", monitor: "📡", test: "🧪" };

export function cardTone(m: AlertMessage): CardTone {
  if (m.kind === "test") return "test";
  if (m.kind === "report") return m.health === "down" || m.health === "degraded" ? m.health : "healthy";
  if (m.kind === "resolved") return "healthy";
  if (m.scope === "monitor") return "monitor";
  return m.severity;
}

export function chatCard(m: AlertMessage): ChatCard {
  if (m.kind === "report") return reportCard(m);
  const tone = cardTone(m);
  const facts: CardFact[] = [];
  if (m.scope === "bot" && m.bot) {
    facts.push({ label: "Bot", value: `${m.bot.name} (@${m.bot.username.replace(/^@/, "")})` });
    const labels = Object.entries(m.bot.labels);
    if (labels.length > 0) facts.push({ label: "Labels", value: labels.map(([k, v]) => `${k}=${v}`).join(", ") });
  } else if (m.kind !== "test") {
    facts.push({ label: "Scope", value: "the monitor (every bot it watches)" });
  }
  let health: string = m.health;
  if (m.kind === "firing" && m.escalatedFrom) health += ` (escalated from ${m.escalatedFrom})`;
  else if (m.kind === "resolved") health += ` (was ${m.severity})`;
  facts.push({ label: "Health", value: health });
  if (m.kind === "resolved") {
    const end = m.endsAt ?? m.at;
    facts.push({ label: "Since", value: formatTime(m.since) });
    facts.push({ label: "Resolved", value: `${formatTime(end)}${durationSuffix(m.since, end, "after")}` });
  } else {
    facts.push({ label: "Since", value: `${formatTime(m.since)}${durationSuffix(m.since, m.at, "for")}` });
  }

  const card: ChatCard = { tone, title: oneLine(`${ICONS[tone]} ${kindTitle(m)}: ${m.summary}`), facts, checks: m.checks };
  if (m.checks.length > 0) {
    const heading = m.kind === "resolved" ? "Still reported" : m.scope === "monitor" ? "Checks without an answer" : "Failing checks";
    card.checksHeading = `${heading} (${m.checks.length})`;
  }
  if (m.kind === "test") card.note = "A test notification from secretary-watch: this channel works. No action needed.";
  else if (m.kind === "resolved" && m.checks.length === 0) card.note = "All checks pass.";
  if (m.url) card.url = m.url;
  return card;
}

/**
 * A report as a card (README, "Reports"): the period and the fleet's figures as facts, then the bots
 * still failing and the incidents as the card's items (a check's place: the bot, its worst health, one
 * line), so each vendor fits as many as its limits allow and names how many it left out.
 */
function reportCard(m: AlertMessage): ChatCard {
  const d = m.report;
  const card: ChatCard = { tone: cardTone(m), title: oneLine(`📊 REPORT: ${m.summary}`), facts: [], checks: [] };
  if (m.url) card.url = m.url;
  if (!d) return card;
  const undelivered = d.notifications.map((n) => `${n.channel} (${n.failed} failed, ${n.dropped} dropped)`).join(", ");
  card.facts = [
    { label: "Period", value: digestPeriod(d) },
    { label: "Fleet uptime", value: fleetLine(d) },
    { label: "Incidents", value: `${d.incidents.length}${d.incidentsCut ? "+" : ""}` },
    { label: "Still failing", value: d.failing.length === 0 ? "none" : String(d.failing.length) },
    ...(undelivered ? [{ label: "Not delivered at once", value: undelivered }] : []),
  ];
  const status = (health: string) => (health === "down" ? "fail" : "warn");
  card.checks = [
    ...d.failing.map((f) => ({ check: f.bot, status: status(f.health), message: `still failing: ${failingLine(f).slice(f.bot.length + 2)}`, remediation: "", since: f.since }) as const),
    ...d.incidents.map((i) => ({ check: i.bot, status: status(i.worst), message: `incident: ${incidentLine(i)}${i.checks.length > 0 ? ` (${i.checks.map((c) => c.check).join(", ")})` : ""}`, remediation: "", since: i.start }) as const),
  ];
  if (card.checks.length > 0) card.checksHeading = `Still failing (${d.failing.length}) and incidents (${d.incidents.length})`;
  else card.note = "No incidents, and no bot failing.";
  return card;
}

/** The line that stands for the checks a card had no room for. */
export function omittedNote(omitted: number, hasUrl: boolean): string {
  const checks = omitted === 1 ? "1 more check" : `${omitted} more checks`;
  return `… and ${checks} not shown here${hasUrl ? ": see the status page" : ""}.`;
}

/**
 * The most checks (0…total) for which `fits` holds, assuming that fewer never fit worse; so a card keeps
 * as many whole checks as its limits allow and names how many it left out.
 */
export function mostThatFit(total: number, fits: (shown: number) => boolean): number {
  if (fits(total)) return total;
  let low = 0;
  let high = total - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * `text` escaped by `escape`, cut so that the escaped result with `…` stays within `max` UTF-16 units:
 * the cut falls between characters of the raw text, never inside an escape sequence or a surrogate pair.
 */
export function fitText(text: string, max: number, escape: (s: string) => string = (s) => s): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  const marker = "…";
  let out = "";
  // Escaping never shortens, so no more than `max` raw units can fit: the walk stays that short.
  for (const char of text.slice(0, max + 1)) {
    const next = escape(char);
    if (out.length + next.length + marker.length > max) break;
    out += next;
  }
  return out + marker;
}
