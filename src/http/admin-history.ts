import express from "express";
import type { HistoryReader } from "../history/history.ts";
import { auditQuery, incidentsQuery, notificationsQuery } from "./history-query.ts";
import { auditView, incidentView, notificationView } from "./history-view.ts";

export interface AdminHistoryOptions {
  history: Pick<HistoryReader, "incidents" | "audit" | "notifications">;
}

/**
 * The admin API's history lists (README, "Admin API"), newest first, `limit` rows (default 100, at most
 * 1000), within `from`/`to` when given: incidents (of any bot, watched or removed), the audit log and every
 * notification delivery attempt. Reads only: nothing here is audited.
 */
export function adminHistoryRoutes(o: AdminHistoryOptions): express.Router {
  const router = express.Router();

  router.get("/incidents", (req, res) => {
    res.json({ incidents: o.history.incidents(incidentsQuery(req.query)).map(incidentView) });
  });

  router.get("/audit", (req, res) => {
    res.json({ audit: o.history.audit(auditQuery(req.query)).map(auditView) });
  });

  router.get("/notifications", (req, res) => {
    res.json({ notifications: o.history.notifications(notificationsQuery(req.query)).map(notificationView) });
  });

  return router;
}
