import { readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import type { FleetView } from "./status-view.ts";
import type { Attrs, Child } from "./page-assets/render.ts";
import { botList, fleetLine, pageOf, pageText, shownText, summaryTiles, titleText, type BotPage } from "./page-assets/render.ts";
import type { Renderer } from "./page-assets/client.ts";

/** Escapes text for HTML element content and quoted attribute values. */
/** The pages' shared <head>: `extra` (a refresh) before the title; the title escaped. */
export function pageHead(title: string, extra = ""): string {
  return `<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
${extra ? `${extra}\n` : ""}<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
</head>`;
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Markup built by h(): the only kind of string inserted unescaped. */
export class Html {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
}

const NAME = /^[a-z][a-z0-9-]*$/;

/** The server's h() for render.js: every child string and attribute value is escaped. */
export function h(tag: string, attrs: Attrs, children: Array<Child<Html>>): Html {
  if (!NAME.test(tag)) throw new Error(`bad tag name ${JSON.stringify(tag)}`);
  let out = `<${tag}`;
  for (const [name, value] of Object.entries(attrs)) {
    if (!NAME.test(name)) throw new Error(`bad attribute name ${JSON.stringify(name)}`);
    if (value === null || value === undefined || value === false) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(value)}"`;
  }
  out += ">";
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    out += child instanceof Html ? child.html : escapeHtml(child);
  }
  return new Html(`${out}</${tag}>`);
}

const join = (nodes: Html[]) => nodes.map((n) => n.html).join("");

function asset(name: string): string {
  return readFileSync(new URL(`./page-assets/${name}`, import.meta.url), "utf8");
}

/** A page-assets module as browser JavaScript: Node's own type stripping (the one that runs this service). */
function browserModule(name: string): string {
  const source = asset(name);
  // Quiet the once-per-process "stripTypeScriptTypes is experimental" warning: only for this call.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  let js: string;
  try {
    js = stripTypeScriptTypes(source, { mode: "strip" });
  } finally {
    process.emitWarning = emitWarning;
  }
  if (/^\s*import\s/m.test(js)) throw new Error(`page asset ${name} has a runtime import: the browser cannot load it`);
  return js;
}

/** Inlined into <style>/<script>: nothing in them may close the element. */
function inlineable(name: string, text: string): string {
  if (/<\/(script|style)|<!--/i.test(text)) throw new Error(`page asset ${name} contains "</script", "</style" or "<!--"`);
  return text;
}

/** The page's stylesheet, inlined into `/` and the bot pages. */
export const PAGE_CSS = inlineable("page.css", asset("page.css"));
const START: Record<keyof Renderer, true> = { botList: true, summaryTiles: true, fleetLine: true, titleText: true, shownText: true, matches: true, fmtDuration: true };
/** One module: the shared renderer, the page's script, and the call that starts it with the renderer. */
const SCRIPT = inlineable(
  "script",
  `${browserModule("render.ts")}\n${browserModule("client.ts")}\nstartStatusPage({ ${Object.keys(START).join(", ")} });`,
);

export interface PageOptions {
  /** Seconds between in-place refreshes (full reloads with JavaScript off). */
  refreshSeconds: number;
  /** The response's CSP nonce for the inline script. */
  nonce: string;
  /** The filter box's query (`?q=`): non-matching bots are rendered hidden. */
  query?: string;
  /** Epoch ms the ages are counted to (tests fix it). */
  now?: number;
  /** `?page=` of a fleet bigger than one page (render.ts PAGE_SIZE). */
  page?: number;
  /** A bot's uptime and 90-day bar (page-history.ts); absent without history. */
  historyOf?: (bot: string) => Html | null;
  /** `?refresh=` as asked, kept in the pager's links. */
  refreshParam?: string;
}

/** Previous / next links of a paged fleet, keeping the query and the refresh period. */
function pager(p: BotPage, query: string, refresh: string | undefined): string {
  if (p.pages < 2) return "";
  const link = (page: number, text: string, rel: string) => {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    if (refresh) params.set("refresh", refresh);
    params.set("page", String(page));
    return h("a", { href: `?${params.toString()}`, rel }, [text]);
  };
  return h("nav", { class: "pager", "aria-label": "Pages" }, [
    p.page > 1 ? link(p.page - 1, "← Previous", "prev") : null,
    h("span", {}, [`Page ${p.page} of ${p.pages}`]),
    p.page < p.pages ? link(p.page + 1, "Next →", "next") : null,
  ]).html;
}

/**
 * The status page: fleet summary, bots worst first, each failing check with message, remediation and
 * since when; server-rendered (works with JavaScript off); the inline script adds the live filter and
 * refresh without reload, rendering with the same render.js.
 */
export function renderStatusPage(view: FleetView, o: PageOptions): string {
  const now = o.now ?? Date.now();
  const query = o.query ?? "";
  const page = pageOf(view, query, o.page ?? 1);
  const refresh = escapeHtml(o.refreshSeconds);
  const shown = page.paged ? pageText(page, view.bots.length) : shownText(page.matching, view.bots.length);
  return `<!doctype html>
<html lang="en">
${pageHead(titleText(view), `<noscript><meta http-equiv="refresh" content="${refresh}"></noscript>`)}
<body data-refresh="${refresh}" data-now="${escapeHtml(now)}">
<header class="top"><div class="wrap bar">
<span class="brand">secretary-watch <small>Secretary Mode bots</small></span>
<span class="keys" aria-hidden="true">press <kbd>/</kbd> to filter</span>
<span id="live" class="live"><span class="dot" aria-hidden="true"></span><span>Reloads every ${refresh} s</span></span>
</div></header>
<main class="wrap">
<div id="fleet" class="fleet">${join(fleetLine(h, view, now))}</div>
<div id="stale" class="stale" role="alert" hidden>Could not refresh (<span id="stale-why"></span>): the page shows data from <span id="stale-age"></span> ago.</div>
<div id="summary" class="tiles" aria-label="Fleet summary">${join(summaryTiles(h, view))}</div>
<form id="filter" class="filter${page.paged ? " paged" : ""}" method="get" action="." role="search">
<label for="q" class="sr">Filter bots</label>
<input id="q" name="q" type="search" value="${escapeHtml(query)}" placeholder="Filter bots, checks, messages…" autocomplete="off" spellcheck="false">
<button type="submit" class="nojs">Filter</button>
<span id="shown" class="shown" aria-live="polite">${escapeHtml(shown)}</span>
</form>
<p id="empty" class="empty"${view.bots.length > 0 && page.matching === 0 ? "" : " hidden"}>No bot matches “<span id="empty-q">${escapeHtml(query.trim())}</span>”.</p>
${view.bots.length === 0 ? `<p class="empty">No bots are configured.</p>` : ""}
<div id="bots" class="bots"${page.paged ? ` data-page="${page.page}" data-q="${escapeHtml(query)}"` : ""}>${join(botList(h, view, now, query, page.page, o.historyOf))}</div>
${pager(page, query, o.refreshParam)}
</main>
<footer class="wrap foot">Machine-readable: <a href="status">/status</a> (JSON) · <a href="metrics">/metrics</a> · README badge: <code>/status/bots/&lt;name&gt;/badge.svg</code></footer>
<script type="module" nonce="${escapeHtml(o.nonce)}">
${SCRIPT}
</script>
</body>
</html>
`;
}
