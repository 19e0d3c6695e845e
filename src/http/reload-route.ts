import express from "express";
import type { HistoryLog } from "../history/history.ts";
import type { ConfigReloader } from "../reload/reloader.ts";
import type { Access } from "./access.ts";
import { adminAuth } from "./admin-auth.ts";
import { audit, auditTrail } from "./admin-audit.ts";

export interface ReloadRouteOptions {
  reloader: Pick<ConfigReloader, "reload">;
  /** The admin tokens now: while any is set, a reload needs one (Bearer); open otherwise, as Prometheus' is. */
  access: Access;
  onAuthFailure?: () => void;
  history?: Pick<HistoryLog, "recordAudit">;
  flush: () => Promise<void>;
}

/** The audit log's name for a reload made while no admin token is set. */
export const OPEN_RELOAD_NAME = "no token";

/**
 * POST /-/reload (README, "Reload"): 200 `{applied: true, changes}`, or 400 `{errors}` with every
 * problem and nothing changed. An applied reload is an admin change: it gets an audit line.
 */
export function reloadRoute(o: ReloadRouteOptions): express.Router {
  const router = express.Router();
  const tokens = adminAuth({ access: o.access, ...(o.onAuthFailure && { onAuthFailure: o.onAuthFailure }) });
  // Read per request: a reload may add the first token or remove the last. Open, the audit says so.
  const guard: express.RequestHandler = (req, res, next) => {
    if (o.access.adminEnabled) return tokens(req, res, next);
    res.locals.tokenName = OPEN_RELOAD_NAME;
    next();
  };
  router.post("/-/reload", guard, auditTrail(o.history, o.flush), async (req, res, next) => {
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
