import express from "express";
import type { HistoryLog } from "../history/history.ts";
import type { ConfigReloader } from "../reload/reloader.ts";
import { adminAuth } from "./admin-auth.ts";
import { audit, auditTrail } from "./admin-audit.ts";

export interface ReloadRouteOptions {
  reloader: Pick<ConfigReloader, "reload">;
  /** server.adminToken: when set, a reload needs it (Bearer); open otherwise, as Prometheus' is. */
  adminToken?: string | undefined;
  onAuthFailure?: () => void;
  history?: Pick<HistoryLog, "recordAudit">;
  flush: () => Promise<void>;
}

/**
 * POST /-/reload (README, "Reload"): 200 `{applied: true, changes}`, or 400 `{errors}` with every
 * problem and nothing changed. An applied reload is an admin change: it gets an audit line.
 */
export function reloadRoute(o: ReloadRouteOptions): express.Router {
  const router = express.Router();
  const guard: express.RequestHandler[] = o.adminToken ? [adminAuth({ adminToken: o.adminToken, ...(o.onAuthFailure && { onAuthFailure: o.onAuthFailure }) })] : [];
  router.post("/-/reload", ...guard, auditTrail(o.history, o.flush), async (req, res, next) => {
    try {
      const outcome = await o.reloader.reload("api");
      if (!outcome.applied) {
        res.status(400).json({ errors: outcome.errors });
        return;
      }
      await audit(req, res, `reload: ${outcome.summary}`);
      const { bots, sections } = outcome.changes;
      res.json({ applied: true, changes: { bots, sections } });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
