// The status page's dynamic parts, shared by the server (which renders the page, so it works with
// JavaScript off) and the browser (which re-renders in place from GET /status): page.ts inlines this
// file, types stripped, into the page's script. So: no runtime imports, erasable types only.
//
// Every function takes `h(tag, attrs, children)`: on the server it builds escaped HTML text, in the
// browser DOM nodes (createElement/setAttribute/append of text). Data only ever reaches the output as a
// child string or an attribute value, never as markup.
import type { BotView, FleetView } from "../status-view.ts";

/** Attribute values: strings are escaped; `true` is a bare attribute; null, undefined and false omit it. */
export type Attrs = Record<string, string | boolean | null | undefined>;
export type Child<N> = N | string | null | undefined | false;
/** Builds an element: escaped HTML text on the server, a DOM node in the browser. */
export type H<N> = (tag: string, attrs: Attrs, children: Array<Child<N>>) => N;

type Label = { label: string; glyph: string; state: string };
type HealthKey = "down" | "unknown" | "degraded" | "healthy" | "pending";

/** Summary tiles, worst first; `pending` (not swept yet) only while there is such a bot. */
const HEALTHS: HealthKey[] = ["down", "unknown", "degraded", "healthy", "pending"];
const HEALTH: Record<string, Label> = {
  down: { label: "Down", glyph: "✖", state: "down" },
  unknown: { label: "Unknown", glyph: "?", state: "unknown" },
  degraded: { label: "Degraded", glyph: "▲", state: "degraded" },
  healthy: { label: "Healthy", glyph: "✔", state: "healthy" },
  pending: { label: "Pending", glyph: "…", state: "pending" },
};
const STATUS: Record<string, Label> = {
  fail: { label: "Fail", glyph: "✖", state: "failing" },
  unknown: { label: "Unknown", glyph: "?", state: "unknown" },
  warn: { label: "Warn", glyph: "▲", state: "warning" },
  skipped: { label: "Skipped", glyph: "–", state: "skipped" },
  ok: { label: "OK", glyph: "✔", state: "passing" },
};
/** Check statuses a person must see on the page. */
const PROBLEMS = ["fail", "unknown", "warn"];

const labelOf = (table: Record<string, Label>, key: string): Label => table[key] ?? { label: key, glyph: "•", state: key };

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}

/** "23:01:06 UTC" on the (UTC) day of `now`, else "2026-11-23 23:01:06 UTC". */
export function fmtClock(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const s = new Date(t).toISOString();
  const today = new Date(now).toISOString().slice(0, 10);
  return `${s.slice(0, 10) === today ? "" : `${s.slice(0, 10)} `}${s.slice(11, 19)} UTC`;
}

/** A duration up to now; the browser re-counts every `time[data-rel]` each second. */
function age<N>(h: H<N>, iso: string, now: number): N {
  return h("time", { datetime: iso, title: fmtClock(iso, now), "data-rel": true }, [fmtDuration(now - Date.parse(iso))]);
}

/** Health or status as color AND glyph AND word. `f` marks text the filter box searches. */
function chip<N>(h: H<N>, kind: string, info: Label, extra: string): N {
  return h("span", { class: `chip ${kind} ${extra}` }, [h("span", { "aria-hidden": "true" }, [info.glyph]), ` ${info.label}`]);
}

const problemsOf = (bot: BotView) => bot.checks.filter((c) => PROBLEMS.includes(c.status));
const labelsOf = (bot: BotView) => Object.entries(bot.labels ?? {}).map(([k, v]) => `${k}=${v}`);
const alertWord = (alert: NonNullable<BotView["alert"]>) => (alert.state === "firing" ? "Alert firing" : "Alert pending");
const silenceWord = (silenced: NonNullable<BotView["silenced"]>) => (silenced.by === "maintenance" ? "In maintenance" : "Silenced");

/** The texts the filter box searches, in page order: what the page shows of a bot (the `.f` elements). */
export function searchText(bot: BotView): string {
  const chipText = (info: Label) => `${info.glyph} ${info.label}`;
  const parts = [chipText(labelOf(HEALTH, bot.health)), bot.name, `@${bot.username}`, ...labelsOf(bot)];
  if (bot.alert) parts.push(alertWord(bot.alert));
  if (bot.silenced) parts.push(silenceWord(bot.silenced), bot.silenced.reason);
  for (const c of problemsOf(bot)) {
    parts.push(chipText(labelOf(STATUS, c.status)), c.check);
    if (c.message) parts.push(c.message);
    if (c.remediation) parts.push(c.remediation);
  }
  return parts.join("\n");
}

/** Every whitespace-separated word of the query occurs in the text (case-insensitive). */
export function matches(text: string, query: string | null | undefined): boolean {
  const hay = text.toLowerCase();
  return (query ?? "")
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

/** "ops-telegram, mail". */
const names = (list: readonly string[]) => list.join(", ");

/** The bot's alert: firing (since when, who was told) or pending (how many failing sweeps of how many). */
function alertLine<N>(h: H<N>, alert: NonNullable<BotView["alert"]>, now: number): N {
  const told =
    alert.state === "pending"
      ? `${alert.failingSweeps} of ${alert.firesAfter} failing sweeps, fires at ${alert.firesAfter}`
      : alert.notified.length
        ? `told ${names(alert.notified)}`
        : alert.undelivered.length
          ? "nobody told yet"
          : "nobody told";
  return h("p", { class: `alert a-${alert.state}` }, [
    h("b", { class: "f" }, [alertWord(alert)]),
    ` (${alert.severity}) since ${fmtClock(alert.startsAt, now)}, for `,
    age(h, alert.startsAt, now),
    ` · ${told}`,
    alert.undelivered.length ? ` · still sending to ${names(alert.undelivered)}` : null,
  ]);
}

/** The silence (or maintenance window) muting the bot's notifications: until when and why. */
function silenceLine<N>(h: H<N>, silenced: NonNullable<BotView["silenced"]>, now: number): N {
  const more = silenced.silencedBy.length - 1;
  return h("p", { class: `silenced by-${silenced.by}` }, [
    h("b", { class: "f" }, [silenceWord(silenced)]),
    ` until ${fmtClock(silenced.endsAt, now)} (${fmtDuration(Date.parse(silenced.endsAt) - now)} more): `,
    h("span", { class: "reason f" }, [silenced.reason]),
    silenced.createdBy ? ` · by ${silenced.createdBy}` : null,
    more > 0 ? ` · and ${more} more silence${more === 1 ? "" : "s"}` : null,
    " · notifications muted, checks still run",
  ]);
}

/** The bot's next maintenance window: when it opens, for how long, why. */
function nextMaintenanceLine<N>(h: H<N>, next: NonNullable<BotView["maintenance"]>, now: number): N {
  const opens = Date.parse(next.startsAt);
  return h("p", { class: "next-maintenance" }, [
    h("b", {}, ["Next maintenance"]),
    ` ${fmtClock(next.startsAt, now)} (in ${fmtDuration(opens - now)}) for ${fmtDuration(Date.parse(next.endsAt) - opens)}: `,
    h("span", { class: "reason" }, [next.reason]),
  ]);
}

/**
 * One bot: health, @username, since, last checked, labels; its alert and silence; failing/warn/unknown
 * checks with message, fix and since. `history`: its uptime and 90-day bar, rendered by the server
 * (page-history.ts) and carried over as they are by the browser's re-render (/status has no bars).
 */
export function botSection<N>(h: H<N>, bot: BotView, now: number, hidden: boolean, history?: N | null): N {
  const health = labelOf(HEALTH, bot.health);
  const problems = problemsOf(bot);
  const skipped = bot.checks.filter((c) => c.status === "skipped").map((c) => c.check);
  const labels = labelsOf(bot);
  // Healthy (or never checked) with nothing going on: one line.
  const compact = problems.length === 0 && skipped.length === 0 && !bot.alert && !bot.silenced;
  const lastAt = bot.checks.reduce<string | null>((max, c) => (max === null || c.at > max ? c.at : max), null);
  return h("section", { class: `bot h-${bot.health}${compact ? " compact" : ""}`, id: `bot-${bot.name}`, "data-health": bot.health, hidden }, [
    h("div", { class: "bot-head" }, [
      chip(h, `h-${bot.health}`, health, "f"),
      h("a", { class: "name f", href: `#bot-${bot.name}` }, [bot.name]),
      h("span", { class: "user f" }, [`@${bot.username}`]),
      h("span", { class: "when" }, [
        bot.since ? h("span", {}, [`${health.state} for `, age(h, bot.since, now)]) : h("span", {}, ["not checked yet"]),
        lastAt ? h("span", { class: "checked" }, ["checked ", age(h, lastAt, now), " ago"]) : null,
      ]),
      labels.length ? h("span", { class: "labels", title: "labels" }, labels.map((l) => h("span", { class: "label f" }, [l]))) : null,
      history ?? null,
    ]),
    bot.alert ? alertLine(h, bot.alert, now) : null,
    bot.silenced ? silenceLine(h, bot.silenced, now) : null,
    bot.maintenance && !bot.silenced ? nextMaintenanceLine(h, bot.maintenance, now) : null,
    problems.length
      ? h(
          "ul",
          { class: "checks" },
          problems.map((c) => {
            const status = labelOf(STATUS, c.status);
            return h("li", { class: `check s-${c.status}` }, [
              h("div", { class: "check-head" }, [
                chip(h, `s-${c.status}`, status, "f"),
                h("b", { class: "cid f" }, [c.check]),
                c.message ? h("span", { class: "msg f" }, [c.message]) : null,
              ]),
              c.remediation ? h("p", { class: "fix" }, [h("b", {}, ["Fix: "]), h("span", { class: "f" }, [c.remediation])]) : null,
              h("p", { class: "since" }, [`${status.state} for `, age(h, c.since, now), ` · since ${fmtClock(c.since, now)}`]),
            ]);
          }),
        )
      : null,
    skipped.length ? h("p", { class: "skipped" }, [`Not run until the above is fixed: ${skipped.join(", ")}`]) : null,
  ]);
}

/**
 * Fleets up to this many bots are one page: every bot is rendered and the filter hides and shows them in
 * place. A bigger fleet (10,000 bots) is paged: only the page's bots matching the query are rendered
 * (worst first, so page 1 is where the trouble is), and the filter asks the server.
 */
export const PAGE_SIZE = 100;

export interface BotPage {
  /** The bots to render, each with whether it is hidden (only ever true on an unpaged fleet). */
  shown: Array<{ bot: BotView; hidden: boolean }>;
  paged: boolean;
  /** 1-based, within 1..pages. */
  page: number;
  pages: number;
  /** Bots matching the query, on every page. */
  matching: number;
  /** The page's first bot's position among the matching (0-based). */
  offset: number;
}

export function pageOf(view: FleetView, query: string, page: number): BotPage {
  const all = view.bots;
  if (all.length <= PAGE_SIZE) {
    const shown = all.map((bot) => ({ bot, hidden: !matches(searchText(bot), query) }));
    return { shown, paged: false, page: 1, pages: 1, matching: shown.filter((s) => !s.hidden).length, offset: 0 };
  }
  const matching = query.trim() ? all.filter((bot) => matches(searchText(bot), query)) : all;
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const at = Math.min(pages, Math.max(1, Math.floor(page) || 1));
  const offset = (at - 1) * PAGE_SIZE;
  return { shown: matching.slice(offset, offset + PAGE_SIZE).map((bot) => ({ bot, hidden: false })), paged: true, page: at, pages, matching: matching.length, offset };
}

/** The bots of one page (all of an unpaged fleet's, those not matching hidden), worst first. */
export function botList<N>(h: H<N>, view: FleetView, now: number, query: string, page = 1, historyOf?: (bot: string) => N | null | undefined): N[] {
  return pageOf(view, query, page).shown.map(({ bot, hidden }) => botSection(h, bot, now, hidden, historyOf?.(bot.name)));
}

/** A paged fleet's count: "Showing 101–200 of 10000 bots", "Showing 1–100 of 250 matching bots (10000 in all)". */
export function pageText(p: BotPage, total: number): string {
  if (p.matching === 0) return `Showing 0 of ${total} bots`;
  const range = `${p.offset + 1}–${p.offset + p.shown.length}`;
  return p.matching === total ? `Showing ${range} of ${total} bots` : `Showing ${range} of ${p.matching} matching bots (${total} in all)`;
}

export function countsOf(view: FleetView): Record<HealthKey, number> {
  const counts: Record<HealthKey, number> = { down: 0, unknown: 0, degraded: 0, healthy: 0, pending: 0 };
  for (const bot of view.bots) counts[bot.health] += 1;
  return counts;
}

/** Fleet summary: one tile per health, worst first, with count and word (not color alone). */
export function summaryTiles<N>(h: H<N>, view: FleetView): N[] {
  const counts = countsOf(view);
  return HEALTHS.filter((k) => k !== "pending" || counts.pending > 0).map((k) =>
    h("div", { class: `tile h-${k}${counts[k] ? "" : " zero"}`, "data-health": k }, [
      h("span", { class: "n" }, [String(counts[k])]),
      h("span", { class: "l" }, [h("span", { "aria-hidden": "true" }, [labelOf(HEALTH, k).glyph]), ` ${labelOf(HEALTH, k).label}`]),
    ]),
  );
}

/** The fleet verdict and the last sweep time. */
export function fleetLine<N>(h: H<N>, view: FleetView, now: number): N[] {
  const counts = countsOf(view);
  const total = view.bots.length;
  // Bots not swept yet are no problem: they are counted apart.
  const attention = total - counts.healthy - counts.pending;
  const verdict =
    total === 0
      ? "No bots configured"
      : attention > 0
        ? `${attention} of ${total} bots need attention`
        : counts.pending === total
          ? `${total} bot${total === 1 ? "" : "s"} not checked yet`
          : counts.pending === 0
            ? `All ${total} bots healthy`
            : `${counts.healthy} bot${counts.healthy === 1 ? "" : "s"} healthy`;
  const headline = attention + counts.healthy > 0 && counts.pending > 0 ? `${verdict}, ${counts.pending} not checked yet` : verdict;
  return [
    chip(h, `h-${view.status}`, labelOf(HEALTH, view.status), "big"),
    h("span", { class: "headline" }, [headline]),
    h(
      "span",
      { class: "sweep" },
      view.checkedAt ? ["Last sweep ", h("time", { datetime: view.checkedAt }, [fmtClock(view.checkedAt, now)]), " · ", age(h, view.checkedAt, now), " ago"] : ["No sweep yet"],
    ),
  ];
}

/** The tab title: the fleet at a glance, for a tab kept open. */
export function titleText(view: FleetView): string {
  const counts = countsOf(view);
  const bad = (["down", "unknown", "degraded"] as const).filter((k) => counts[k]).map((k) => `${counts[k]} ${k}`);
  const good = counts.pending ? `${labelOf(HEALTH, "pending").glyph} ${counts.pending} pending` : `${labelOf(HEALTH, "healthy").glyph} all healthy`;
  return `${bad.length ? `${labelOf(HEALTH, view.status).glyph} ${bad.join(", ")}` : good} · secretary-watch`;
}

/** "21 bots", or "Showing 3 of 21 bots" while filtered. */
export function shownText(shown: number, total: number): string {
  return shown === total ? `${total} bot${total === 1 ? "" : "s"}` : `Showing ${shown} of ${total} bots`;
}
