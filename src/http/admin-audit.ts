import type { Request, RequestHandler, Response } from "express";
import type { HistoryLog } from "../history/history.ts";

/** The name the audit log gives the one admin token (server.adminToken); named ones (server.adminTokens) carry their own, set by admin-auth.ts. */
export const ADMIN_TOKEN_NAME = "admin";

type AuditFn = (summary: string, bot?: string) => Promise<void>;

/**
 * The audit log's side of the admin API (README, "Storage and history"): every admin change is recorded with who made it (the
 * token's name, never the token), from where (req.ip: the peer, or the client a trusted proxy forwarded),
 * the route's pattern and the bot, and a summary a person reads (never a body: it may hold a token).
 * A handler calls `audit` in the same synchronous step as its change, so both join one commit, and
 * answers once both are committed: `audit` resolves with the store's commit of the line (`flush`), which
 * matters when the change itself wrote nothing (a connection id recorded again) and the commit is not
 * synchronous (PostgreSQL): the answer never comes before the audit line can be read.
 */
export function auditTrail(log: Pick<HistoryLog, "recordAudit"> | undefined, flush: () => Promise<void>): RequestHandler {
  return (req, res, next) => {
    const record: AuditFn = (summary, bot) => {
      if (!log) return Promise.resolve();
      log.recordAudit({
        at: Date.now(),
        tokenName: typeof res.locals.tokenName === "string" ? res.locals.tokenName : ADMIN_TOKEN_NAME,
        address: req.ip ?? "unknown",
        method: req.method,
        route: `${req.baseUrl}${typeof req.route?.path === "string" ? req.route.path : req.path}`,
        bot: bot ?? null,
        summary,
      });
      return flush();
    };
    res.locals.audit = record;
    next();
  };
}

/** Records the change the handler of `req` just made (see auditTrail); resolves once the line is committed. */
export function audit(_req: Request, res: Response, summary: string, bot?: string): Promise<void> {
  return (res.locals.audit as AuditFn | undefined)?.(summary, bot) ?? Promise.resolve();
}
