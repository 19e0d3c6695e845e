import express from "express";
import type { HistoryReader } from "../history/history.ts";
import { auditQuery, incidentsQuery, notificationsQuery } from "./history-query.ts";
import { auditView, incidentView, notificationView } from "./history-view.ts";
import { historyOrRefuse } from "./history-read.ts";

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

  // The query is checked (400) before the store is asked; a store that cannot answer is 503 (history-read.ts).
  router.get("/incidents", async (req, res) => {
    const query = incidentsQuery(req.query);
    res.json({ incidents: (await historyOrRefuse(() => o.history.incidents(query))).map(incidentView) });
  });

  router.get("/audit", async (req, res) => {
    const query = auditQuery(req.query);
    res.json({ audit: (await historyOrRefuse(() => o.history.audit(query))).map(auditView) });
  });

  router.get("/notifications", async (req, res) => {
    const query = notificationsQuery(req.query);
    res.json({ notifications: (await historyOrRefuse(() => o.history.notifications(query))).map(notificationView) });
  });

  return router;
}
