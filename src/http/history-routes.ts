import { Router, type Request, type Response } from "express";
import type { Logger } from "pino";
import { isUptimeWindow, UPTIME_WINDOWS, type HistoryReader } from "../history/history.ts";
import type { Monitor } from "../monitor.ts";
import { RefusalError } from "../errors.ts";
import { BADGE_HEADERS, NOT_FOUND_COLOR, renderBadge, uptimeBadge } from "./badge.ts";
import { historyRange } from "./history-query.ts";
import { botHistoryView } from "./history-view.ts";
import { historyOrNothing, historyOrRefuse } from "./history-read.ts";

export interface HistoryRoutesOptions {
  monitor: Pick<Monitor, "get">;
  history: Pick<HistoryReader, "botHistory" | "botUptime">;
  /** Where a failed history read is logged (the badge's; the history endpoint's goes through the error handler). */
  logger?: Logger;
}

/**
 * The public history reads (README, "HTTP endpoints"): one bot's history over a range, and its uptime
 * badges. Only a watched bot answers: a bot removed from the fleet is 404 here even while its history is
 * kept (the admin API's `/incidents?bot=` still lists its incidents), as `/status/bots/:name` is. A
 * history store that cannot be read answers 503 (history-read.ts).
 */
export function historyRouter(o: HistoryRoutesOptions): Router {
  const router = Router();

  router.get("/status/bots/:name/history", async (req: Request, res: Response) => {
    const name = String(req.params.name);
    if (!o.monitor.get(name)) throw new RefusalError(404, `no bot named "${name}"`, "name");
    const { from, to } = historyRange(req.query, Date.now());
    const history = await historyOrRefuse(() => o.history.botHistory(name, from, to));
    res.set("Cache-Control", "no-store").json(botHistoryView(history));
  });

  router.get("/status/bots/:name/uptime/:window.svg", async (req: Request, res: Response) => {
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
    const uptimes = await historyOrNothing(o.logger, "the uptime badge answers 503", () => o.history.botUptime(String(req.params.name), Date.now()));
    // A badge stays an image (a README shows it): grey, saying the history is out, with the store's 503.
    if (!uptimes) {
      res.status(503).send(renderBadge({ label: `uptime ${window}`, message: "history unavailable", color: NOT_FOUND_COLOR }));
      return;
    }
    res.send(uptimeBadge(window, uptimes[window].up));
  });

  return router;
}
