import { Router, type Request, type Response } from "express";
import { isUptimeWindow, UPTIME_WINDOWS, type HistoryReader } from "../history/history.ts";
import type { Monitor } from "../monitor.ts";
import { RefusalError } from "../errors.ts";
import { BADGE_HEADERS, NOT_FOUND_COLOR, renderBadge, uptimeBadge } from "./badge.ts";
import { historyRange } from "./history-query.ts";
import { botHistoryView } from "./history-view.ts";

export interface HistoryRoutesOptions {
  monitor: Pick<Monitor, "get">;
  history: Pick<HistoryReader, "botHistory" | "botUptime">;
}

/**
 * The public history reads (README, "HTTP endpoints"): one bot's history over a range, and its uptime
 * badges. Only a watched bot answers: a bot removed from the fleet is 404 here even while its history is
 * kept (the admin API's `/incidents?bot=` still lists its incidents), as `/status/bots/:name` is.
 */
export function historyRouter(o: HistoryRoutesOptions): Router {
  const router = Router();

  router.get("/status/bots/:name/history", (req: Request, res: Response) => {
    const name = String(req.params.name);
    if (!o.monitor.get(name)) throw new RefusalError(404, `no bot named "${name}"`, "name");
    const { from, to } = historyRange(req.query, Date.now());
    res.set("Cache-Control", "no-store").json(botHistoryView(o.history.botHistory(name, from, to)));
  });

  router.get("/status/bots/:name/uptime/:window.svg", (req: Request, res: Response) => {
    const window = String(req.params.window);
    res.set(BADGE_HEADERS);
    if (!isUptimeWindow(window)) {
      res.status(404).send(renderBadge({ label: "uptime", message: `no window ${window}: ${Object.keys(UPTIME_WINDOWS).join(", ")}`, color: NOT_FOUND_COLOR }));
      return;
    }
    if (!o.monitor.get(String(req.params.name))) {
      res.status(404).send(renderBadge({ label: `uptime ${window}`, message: "no such bot", color: NOT_FOUND_COLOR }));
      return;
    }
    res.send(uptimeBadge(window, o.history.botUptime(String(req.params.name), Date.now())[window].up));
  });

  return router;
}
