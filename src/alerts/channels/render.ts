import type { AlertMessage } from "../types.ts";
import { digestLines, type DigestForm } from "../../reports/render-digest.ts";
import { formatDuration, formatTime, type Line, type Span } from "./line-parts.ts";

export { formatDuration, formatTime } from "./line-parts.ts";

/**
 * The wording of a notification, shared by every channel: one list of lines built from the structured
 * message, then rendered as plain text or as HTML. The HTML uses only tags Telegram accepts (b, i, code,
 * a) so the same markup serves Telegram and e-mail, and every interpolated value is escaped. A report's
 * lines are its digest's (reports/render-digest.ts), in the full form or the compact one.
 */

/** The title of a notification: FIRING, ESCALATED to down, REMINDER, RESOLVED, TEST or REPORT. */
export function kindTitle(message: AlertMessage): string {
  switch (message.kind) {
    case "firing":
      return message.escalatedFrom ? `ESCALATED to ${message.severity}` : "FIRING";
    case "reminder":
      return "REMINDER";
    case "resolved":
      return "RESOLVED";
    case "test":
      return "TEST";
    case "report":
      return "REPORT";
  }
}

/** A one-line subject: `[FIRING] anna (@anna_secretary_bot) is down`. */
export function subjectLine(message: AlertMessage): string {
  return oneLine(`[${kindTitle(message)}] ${message.summary}`);
}

/** `form`: how much of a report to write (the others are the same either way); chat-sized channels ask for `compact`. */
export function renderText(message: AlertMessage, form: DigestForm = "full"): string {
  return buildLines(message, form)
    .map((line) => line.map((s) => ("href" in s ? `${s.text}: ${s.href}` : s.text)).join(""))
    .join("\n");
}

/**
 * HTML with only b, i, code and a. `newline` joins lines: "\n" for Telegram (which keeps line breaks),
 * "<br>\n" for e-mail bodies.
 */
export function renderHtml(message: AlertMessage, newline = "\n", form: DigestForm = "full"): string {
  const nl = (s: string) => (newline === "\n" ? s : s.replace(/\r?\n/g, newline));
  return buildLines(message, form)
    .map((line) =>
      line
        .map((s) => {
          if ("href" in s) return `<a href="${escapeAttribute(s.href)}">${nl(escapeHtml(s.text))}</a>`;
          const text = nl(escapeHtml(s.text));
          return s.style ? `<${s.style}>${text}</${s.style}>` : text;
        })
        .join(""),
    )
    .join(newline);
}

/** A complete HTML document for an e-mail body. */
export function renderHtmlDocument(message: AlertMessage): string {
  return (
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" +
    escapeHtml(subjectLine(message)) +
    "</title></head>\n" +
    '<body style="font-family:-apple-system,BlinkMacSystemFont,\'Segoe UI\',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5">\n' +
    renderHtml(message, "<br>\n") +
    "\n</body></html>\n"
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, "&quot;");
}

// ---------------------------------------------------------------------------------------------

const plain = (text: string): Span => ({ text });
const bold = (text: string): Span => ({ text, style: "b" });
const italic = (text: string): Span => ({ text, style: "i" });

function icon(message: AlertMessage): string {
  if (message.kind === "resolved") return "✅";
  if (message.kind === "test") return "🧪";
  if (message.kind === "report") return "📊";
  return message.severity === "down" ? "🔴" : "🟠";
}

function buildLines(m: AlertMessage, form: DigestForm): Line[] {
  const lines: Line[] = [[plain(`${icon(m)} `), bold(kindTitle(m)), plain(": "), plain(oneLine(m.summary))]];
  if (m.kind === "report" && m.report) return [...lines, ...digestLines(m.report, form, m.url)];
  if (m.kind === "test") lines.push([italic("A test notification from secretary-watch: this channel works. No action needed.")]);

  if (m.scope === "bot" && m.bot) {
    lines.push([plain("Bot: "), bold(m.bot.name), plain(` (@${m.bot.username.replace(/^@/, "")})`)]);
    const labels = Object.entries(m.bot.labels);
    if (labels.length > 0) lines.push([plain(`Labels: ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}`)]);
  } else if (m.scope === "monitor") {
    lines.push([plain("Scope: "), bold("the monitor"), plain(" (every bot it watches)")]);
  }

  const health: Line = [plain("Health: "), bold(m.health)];
  if (m.kind === "firing" && m.escalatedFrom) health.push(plain(` (escalated from ${m.escalatedFrom})`));
  else if (m.kind === "resolved") health.push(plain(` (was ${m.severity})`));
  lines.push(health);

  if (m.kind === "resolved") {
    const end = m.endsAt ?? m.at;
    lines.push([plain(`Since: ${formatTime(m.since)}`)]);
    lines.push([plain(`Resolved: ${formatTime(end)}${durationSuffix(m.since, end, "after")}`)]);
  } else {
    lines.push([plain(`Since: ${formatTime(m.since)}${durationSuffix(m.since, m.at, "for")}`)]);
  }

  if (m.checks.length > 0) {
    const heading = m.kind === "resolved" ? "Still reported" : m.scope === "monitor" ? "Checks without an answer" : "Failing checks";
    lines.push([]);
    lines.push([bold(`${heading} (${m.checks.length}):`)]);
    for (const c of m.checks) {
      lines.push([plain("• "), bold(c.check), plain(` (${c.status}): ${c.message}`)]);
      if (c.remediation) lines.push([plain("   "), italic("Fix:"), plain(` ${c.remediation}`)]);
    }
  } else if (m.kind === "resolved") {
    lines.push([plain("All checks pass.")]);
  }

  if (m.url) {
    lines.push([]);
    lines.push([{ text: "Status page", href: m.url }]);
  }
  return lines;
}

/** `text` on one line: line breaks and the blanks around them become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** ` (for 25m)`: the time from `from` to `to` after `word`; empty when either is not a time or they run backwards. */
export function durationSuffix(from: string, to: string, word: string): string {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return "";
  return ` (${word} ${formatDuration(b - a)})`;
}

// ---------------------------------------------------------------------------------------------

const ENTITY = /^&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{1,10});/;

/**
 * Cuts HTML (as produced by renderHtml) to at most `max` UTF-16 units, never inside a tag, an entity or a
 * surrogate pair, closing the tags left open and appending `marker`. Prefers a line break outside every
 * tag in the second half, so whole lines go rather than half a sentence.
 */
export function truncateHtml(html: string, max: number, marker = "\n… (truncated)"): string {
  if (html.length <= max) return html;
  const open: string[] = [];
  let best = { pos: 0, closers: "" };
  let bestLineBreak = -1;
  let afterOpeningTag = false;
  let i = 0;
  while (i <= html.length) {
    const closers = open.map((t) => `</${t}>`).reverse().join("");
    const fits = i + closers.length + marker.length <= max;
    if (fits && !afterOpeningTag) {
      best = { pos: i, closers };
      if (open.length === 0 && html[i] === "\n") bestLineBreak = i;
    }
    if (i === html.length || i > max) break;
    afterOpeningTag = false;
    const c = html[i]!;
    if (c === "<") {
      const end = html.indexOf(">", i);
      if (end === -1) break; // not our markup: stop before it
      const tag = html.slice(i + 1, end);
      if (tag.startsWith("/")) open.pop();
      else {
        open.push(tag.split(/\s/, 1)[0]!.toLowerCase());
        afterOpeningTag = true;
      }
      i = end + 1;
    } else if (c === "&") {
      const entity = ENTITY.exec(html.slice(i, i + 12));
      i += entity ? entity[0].length : 1;
    } else {
      const code = html.charCodeAt(i);
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    }
  }
  if (bestLineBreak >= max / 2) return html.slice(0, bestLineBreak) + marker;
  return html.slice(0, best.pos) + best.closers + marker;
}
