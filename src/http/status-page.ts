import { randomBytes } from "node:crypto";
import { Router, type Request } from "express";
import type { Monitor } from "../monitor.ts";
import { botView, fleetView, type AlertSource } from "./status-view.ts";
import { renderStatusPage } from "./page.ts";
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

/** A standalone SVG opened in a tab must not run anything either. */
const BADGE_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const MIN_REFRESH = 2;
const MAX_REFRESH = 3600;

function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The human-facing routes: the status page at `/` (`?q=` pre-fills the filter, `?refresh=N` sets the
 * refresh period for a wall screen) and `GET /status/bots/:name/badge.svg` (`?label=` renames the left half).
 */
export function statusPageRouter(o: { monitor: Monitor; pageRefreshSeconds?: number; alerts?: AlertSource }): Router {
  const router = Router();

  router.get("/", (req, res) => {
    const view = fleetView(o.monitor.bots(), (n) => o.monitor.status(n), o.alerts);
    const asked = Number(queryString(req, "refresh"));
    const refreshSeconds = Number.isInteger(asked) && asked > 0 ? Math.min(MAX_REFRESH, Math.max(MIN_REFRESH, asked)) : (o.pageRefreshSeconds ?? 30);
    const nonce = randomBytes(18).toString("base64");
    res
      .type("html")
      .set({
        "Content-Security-Policy": pageCsp(nonce),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
      })
      .send(renderStatusPage(view, { refreshSeconds, nonce, query: (queryString(req, "q") ?? "").slice(0, 200) }));
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
