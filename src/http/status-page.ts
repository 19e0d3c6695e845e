import { Router } from "express";
import type { Monitor } from "../monitor.ts";
import { fleetView } from "./status-view.ts";
import { renderStatusPage } from "./page.ts";

/** The human-facing routes: the status page at `/`. */
export function statusPageRouter(o: { monitor: Monitor; pageRefreshSeconds?: number }): Router {
  const router = Router();
  router.get("/", (_req, res) => {
    const view = fleetView(o.monitor.bots(), (n) => o.monitor.status(n));
    res
      .type("html")
      .set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
      .send(renderStatusPage(view, o.pageRefreshSeconds ?? 30));
  });
  return router;
}
