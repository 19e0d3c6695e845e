import type { DayCell, Uptime } from "../history/uptime.ts";
import { h, type Html } from "./page.ts";
import { fmtDuration } from "./page-assets/render.ts";

/**
 * The page's history marks (README, "HTTP endpoints"): a bot's uptime figure and its 90-day bar, one cell
 * per UTC day coloured by that day's worst health (grey: nothing known), its downtime as the tooltip.
 * Server-rendered only: the browser's in-place refresh keeps them as they are (GET /status has no bars).
 */

/** Days in the bar, on `/` and on a bot's page. */
export const BAR_DAYS = 90;

/** "99.95 %", floored (a ratio short of 1 never reads "100 %"); "no data" without known time. */
export function fmtRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return "no data";
  if (ratio >= 1) return "100 %";
  return `${(Math.floor(ratio * 10_000) / 100).toFixed(2)} %`;
}

/** A cell's tooltip: "2026-11-03: down 12 min", "2026-11-03: degraded, not down", "2026-11-03: no data". */
export function dayTitle(cell: DayCell): string {
  if (cell.worst === null) return `${cell.date}: no data`;
  if (cell.downMs > 0) return `${cell.date}: down ${fmtDuration(cell.downMs)}`;
  return `${cell.date}: ${cell.worst === "degraded" ? "degraded, not down" : "no downtime"}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What a screen reader hears for the bar: "90 days: 2 days down, 1 degraded, 80 healthy, 7 no data". */
export function barSummary(cells: readonly DayCell[]): string {
  const count = (worst: DayCell["worst"]) => cells.filter((c) => c.worst === worst).length;
  const parts = [
    [count("down"), "down"],
    [count("degraded"), "degraded"],
    [count("healthy"), "healthy"],
    [count(null), "no data"],
  ] as const;
  const said = parts.filter(([n]) => n > 0).map(([n, word], i) => (i === 0 ? `${plural(n, "day")} ${word}` : `${n} ${word}`));
  return `${plural(cells.length, "day")}: ${said.join(", ") || "nothing recorded"}`;
}

/** The bar: a role=img strip of day cells (colour by class, the word in the title and the label). */
export function dayBar(cells: readonly DayCell[], size: "small" | "large" = "small"): Html {
  return h(
    "span",
    { class: `days ${size}`, role: "img", "aria-label": `${barSummary(cells)}, oldest first` },
    cells.map((c) => h("i", { class: `d ${c.worst ? `h-${c.worst}` : "none"}`, title: dayTitle(c) }, [])),
  );
}

/** Beside a bot on `/`: its 30-day uptime (a link to its page) and its bar. */
export function botHistoryMarks(name: string, uptime30d: Uptime | undefined, cells: readonly DayCell[] | undefined): Html {
  return h("span", { class: "hist" }, [
    h("a", { class: "up", href: `bots/${encodeURIComponent(name)}`, title: "Uptime over the last 30 days: the bot's history" }, [
      fmtRatio(uptime30d?.up),
      h("span", { class: "sr" }, [" up over 30 days"]),
    ]),
    cells ? dayBar(cells) : null,
  ]);
}
