import { randomBytes } from "node:crypto";
import { Router, type Request } from "express";
import type { Logger } from "pino";
import type { Monitor } from "../monitor.ts";
import { botView, fleetView, type AlertSource } from "./status-view.ts";
import { renderStatusPage, type Html } from "./page.ts";
import { pageOf } from "./page-assets/render.ts";
import { BAR_DAYS, botHistoryMarks } from "./page-history.ts";
import { renderBotNotFound, renderBotPage, type BotPageHistory } from "./bot-page.ts";
import { historyOrNothing } from "./history-read.ts";
import type { HistoryReader } from "../history/history.ts";
import { systemClock, type Clock } from "../clock.ts";
import { BADGE_COLORS, badgeText, healthBadge, notFoundBadge, renderBadge } from "./badge.ts";

/** The page's script runs only with this response's nonce and may only fetch from this origin. */
export const pageCsp = (nonce: string) =>
  [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

/** A bot's page has no script at all. */
const BOT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PAGE_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };
/** A bot's incident timeline: the newest this many. */
const INCIDENTS_SHOWN = 50;

/** A standalone SVG opened in a tab must not run anything either. */
const BADGE_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const MIN_REFRESH = 2;
const MAX_REFRESH = 3600;

function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * Each rendered bot's 30-day uptime and 90-day bar: the fleet's uptime read once, the bars of the bots
 * on the page (all of a small fleet, one page of a big one) in one read, both asked at once.
 */
async function historyMarks(history: HistoryReader, bots: readonly string[], now: number): Promise<(bot: string) => Html> {
  const [uptimes, bars] = await Promise.all([history.fleetUptime(now), history.fleetBars(now, BAR_DAYS, bots)]);
  return (bot) => botHistoryMarks(bot, uptimes.get(bot)?.["30d"], bars.get(bot));
}

/** What a bot's page shows of its history: its uptime per window, its bar and its newest incidents. */
async function botPageHistory(history: HistoryReader, bot: string, now: number): Promise<BotPageHistory> {
  const [uptime, bar, incidents] = await Promise.all([history.botUptime(bot, now), history.dailyBar(bot, now, BAR_DAYS), history.incidents({ bot, limit: INCIDENTS_SHOWN })]);
  return { uptime, bar, incidents };
}

/**
 * The human-facing routes: the status page at `/` (`?q=` pre-fills the filter, `?refresh=N` sets the
 * refresh period for a wall screen, `?page=N` for a fleet bigger than a page), each bot's page at
 * `GET /bots/:name` and `GET /status/bots/:name/badge.svg` (`?label=` renames the left half).
 */
export function statusPageRouter(o: {
  monitor: Monitor;
  pageRefreshSeconds?: number;
  alerts?: AlertSource;
  history?: HistoryReader | undefined;
  /** Where a history read that failed is logged (the pages then render without the history). */
  logger?: Logger | undefined;
  /** The wall clock the bars' "today" and the ages are read from. */
  clock?: Pick<Clock, "wall">;
}): Router {
  const router = Router();
  const clock = o.clock ?? systemClock;
  const refreshOf = (req: Request) => {
    const asked = Number(queryString(req, "refresh"));
    return Number.isInteger(asked) && asked > 0 ? Math.min(MAX_REFRESH, Math.max(MIN_REFRESH, asked)) : (o.pageRefreshSeconds ?? 30);
  };

  router.get("/", async (req, res) => {
    const now = clock.wall();
    const view = fleetView(o.monitor.bots(), (n) => o.monitor.status(n), o.alerts, new Date(now));
    const query = (queryString(req, "q") ?? "").slice(0, 200);
    const page = Number(queryString(req, "page")) || 1;
    const refreshParam = queryString(req, "refresh")?.slice(0, 10);
    const history = o.history;
    const historyOf = history && (await historyOrNothing(o.logger, "the page renders without uptime and bars", () => historyMarks(history, pageOf(view, query, page).shown.map((s) => s.bot.name), now)));
    const nonce = randomBytes(18).toString("base64");
    res
      .type("html")
      .set({ "Content-Security-Policy": pageCsp(nonce), ...PAGE_HEADERS })
      .send(renderStatusPage(view, { refreshSeconds: refreshOf(req), nonce, query, now, page, ...(historyOf && { historyOf }), ...(refreshParam && { refreshParam }) }));
  });

  router.get("/bots/:name", async (req, res) => {
    res.type("html").set({ "Content-Security-Policy": BOT_PAGE_CSP, ...PAGE_HEADERS });
    const bot = o.monitor.get(req.params.name);
    if (!bot) {
      res.status(404).send(renderBotNotFound(req.params.name));
      return;
    }
    const now = clock.wall();
    const view = botView(bot, o.monitor.status(bot.name), o.alerts, new Date(now));
    const h = o.history;
    // Kept (with history) but not read: the page says so rather than that there is none.
    const history = h && ((await historyOrNothing(o.logger, "the bot's page renders without its history", () => botPageHistory(h, bot.name, now))) ?? "unreadable");
    res.send(renderBotPage(view, history, { refreshSeconds: refreshOf(req), now }));
  });

  router.get("/status/bots/:name/badge.svg", (req, res) => {
    const label = badgeText(queryString(req, "label") ?? "") || "secretary";
    res.set({
      "Content-Type": "image/svg+xml; charset=utf-8",
      "Cache-Control": "no-cache",
      "Content-Security-Policy": BADGE_CSP,
      "X-Content-Type-Options": "nosniff",
    });
    const bot = o.monitor.get(req.params.name);
    if (!bot) {
      res.status(404).send(notFoundBadge(label));
      return;
    }
    const { health } = botView(bot, o.monitor.status(bot.name));
    res.send(health === "pending" ? renderBadge({ label, message: "pending", color: BADGE_COLORS.unknown }) : healthBadge(health, label));
  });

  return router;
}
