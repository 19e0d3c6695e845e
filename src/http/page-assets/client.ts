// The status page's script: the filter box, and refresh without full reload (GET /status every
// data-refresh seconds, re-rendered in place by render.ts with DOM APIs, never innerHTML). page.ts
// inlines render.ts and this file, types stripped, into one nonce'd module and calls startStatusPage.
// So: no runtime imports, erasable types only. The project compiles without the DOM library, so the
// little of the DOM used here is declared below (module-scoped).
import type * as Render from "./render.ts";

interface El {
  id: string;
  hidden: boolean;
  textContent: string | null;
  value: string;
  dataset: Record<string, string | undefined>;
  classList: { add(name: string): void; remove(name: string): void };
  lastElementChild: El | null;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  append(...nodes: Array<El | string>): void;
  replaceChildren(...nodes: Array<El | string>): void;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): ArrayLike<El> & Iterable<El>;
  addEventListener(type: string, listener: (e: Ev) => void): void;
  focus(): void;
  dispatchEvent(e: Event): boolean;
}
interface Ev {
  key?: string;
  preventDefault(): void;
}
declare const document: {
  body: El;
  documentElement: El;
  hidden: boolean;
  activeElement: El | null;
  title: string;
  getElementById(id: string): El | null;
  createElement(tag: string): El;
  querySelectorAll(selector: string): ArrayLike<El> & Iterable<El>;
  addEventListener(type: string, listener: (e: Ev) => void): void;
};
declare const window: { addEventListener(type: string, listener: () => void): void; statusPage?: { refresh(): Promise<void> } };
declare const location: { pathname: string; hash: string };
declare const history: { replaceState(state: null, unused: string, url: string): void };

export type Renderer = Pick<typeof Render, "botList" | "summaryTiles" | "fleetLine" | "titleText" | "shownText" | "matches" | "fmtDuration">;

export function startStatusPage(r: Renderer): void {
  const body = document.body;
  const refreshMs = Math.max(2, Number(body.dataset.refresh) || 30) * 1000;
  /** Server clock minus browser clock: ages are counted on the server's clock. */
  let skew = (Number(body.dataset.now) || Date.now()) - Date.now();
  const now = () => Date.now() + skew;

  const byId = (id: string): El => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`status page: no #${id}`);
    return el;
  };
  const bots = byId("bots");
  const input = byId("q");
  const shown = byId("shown");
  const empty = byId("empty");
  const live = byId("live");
  const stale = byId("stale");
  // A fleet bigger than a page (render.ts PAGE_SIZE): the page holds one page of the server's query,
  // so filtering asks the server (the form submits) and a refresh re-renders that same page.
  const paged = bots.dataset.page !== undefined;
  const page = Number(bots.dataset.page) || 1;
  const pagedQuery = bots.dataset.q ?? "";
  const setLive = (text: string, ok: boolean) => {
    if (ok) live.classList.remove("down");
    else live.classList.add("down");
    if (live.lastElementChild) live.lastElementChild.textContent = text;
  };

  /** The browser's h(): elements, attributes and text nodes; data never goes through innerHTML. */
  const h: Render.H<El> = (tag, attrs, children) => {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
    return el;
  };

  const sections = () => Array.from(bots.querySelectorAll(":scope > section.bot"));
  /** What render.ts's searchText() gives for the same bot: the `.f` texts in page order. */
  const textOf = (section: El) => Array.from(section.querySelectorAll(".f"), (el) => el.textContent ?? "").join("\n");

  function applyFilter() {
    if (paged) return;
    const query = input.value;
    const all = sections();
    let visible = 0;
    for (const section of all) {
      section.hidden = !r.matches(textOf(section), query);
      if (!section.hidden) visible++;
    }
    shown.textContent = r.shownText(visible, all.length);
    empty.hidden = !(all.length > 0 && visible === 0);
    byId("empty-q").textContent = query.trim();
  }

  function tick() {
    const t = now();
    for (const el of document.querySelectorAll("time[data-rel]")) el.textContent = r.fmtDuration(t - Date.parse(el.getAttribute("datetime") ?? ""));
  }

  function render(view: Parameters<Renderer["botList"]>[1]) {
    const t = now();
    // Each bot's uptime and bar (server-rendered; /status has none) move over to its new section.
    const marks = new Map<string, El>();
    for (const section of sections()) {
      const mark = section.querySelector(".hist");
      if (mark) marks.set(section.id, mark);
    }
    bots.replaceChildren(...r.botList(h, view, t, paged ? pagedQuery : input.value, page, (name) => marks.get(`bot-${name}`)));
    byId("summary").replaceChildren(...r.summaryTiles(h, view));
    byId("fleet").replaceChildren(...r.fleetLine(h, view, t));
    document.title = r.titleText(view);
    applyFilter();
    // The section an alert's /#bot-<name> link opened is a new element now: keep it highlighted.
    const target = location.hash.startsWith("#bot-") ? document.getElementById(location.hash.slice(1)) : null;
    target?.classList.add("target");
  }

  let lastGood = now();
  let inFlight = false;
  async function refresh(): Promise<void> {
    if (inFlight) return;
    inFlight = true;
    try {
      // A stalled answer must not stop the page refreshing for good.
      // Relative: behind a reverse proxy's path prefix the page at /prefix/ reads /prefix/status.
      const res = await fetch("status", { headers: { accept: "application/json" }, cache: "no-store", signal: AbortSignal.timeout(Math.max(5_000, refreshMs)) });
      // 503 is /status saying "some bot is down": still a full answer.
      if (res.status !== 200 && res.status !== 503) throw new Error(`GET /status answered HTTP ${res.status}`);
      const view = (await res.json()) as Parameters<Renderer["botList"]>[1];
      const date = Date.parse(res.headers.get("date") ?? "");
      // The Date header has whole seconds: assume the middle of that second.
      if (!Number.isNaN(date)) skew = date + 500 - Date.now();
      render(view);
      lastGood = now();
      stale.hidden = true;
      setLive(`Live · refreshes every ${refreshMs / 1000} s`, true);
    } catch (err) {
      byId("stale-why").textContent = err instanceof Error ? err.message : String(err);
      byId("stale-age").textContent = r.fmtDuration(now() - lastGood);
      stale.hidden = false;
      setLive("Not refreshing", false);
    } finally {
      inFlight = false;
      body.dataset.refreshes = String((Number(body.dataset.refreshes) || 0) + 1);
    }
  }

  document.documentElement.classList.add("js");
  byId("filter").addEventListener("submit", (e) => {
    if (!paged) e.preventDefault();
  });
  input.addEventListener("input", () => {
    if (paged) return;
    applyFilter();
    const q = input.value.trim();
    history.replaceState(null, "", `${location.pathname}${q ? `?q=${encodeURIComponent(q)}` : ""}${location.hash}`);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && document.activeElement !== input) {
      e.preventDefault();
      input.focus();
    } else if (e.key === "Escape" && document.activeElement === input && input.value) {
      input.value = "";
      input.dispatchEvent(new Event("input"));
    }
  });
  window.addEventListener("hashchange", () => {
    for (const el of document.querySelectorAll(".bot.target")) el.classList.remove("target");
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) void refresh();
  });
  setInterval(() => {
    if (!document.hidden) void refresh();
  }, refreshMs);
  setInterval(tick, 1000);
  setLive(`Live · refreshes every ${refreshMs / 1000} s`, true);
  applyFilter();
  window.statusPage = { refresh };
}
