import type { RequestHandler } from "express";
import { RefusalError } from "../errors.ts";
import type { Access } from "./access.ts";
import { bearerToken } from "./bearer.ts";
import { LoginLimiter } from "./login-limiter.ts";

export interface AdminAuthOptions {
  /** The admin tokens now (server.adminToken, server.adminTokens); read on every request. */
  access: Access;
  /** Counts failed logins (secretary_admin_auth_failures_total). */
  onAuthFailure?: () => void;
  limiter?: LoginLimiter;
}

/**
 * The admin API's bearer-token check. The token is checked first and a valid one always passes: only
 * failures are counted and refused, so no one can lock the admins out by failing from their address
 * (or from behind their proxy). req.ip is the peer, or the client a trusted proxy (server.trustProxy)
 * forwarded. The matched token's name goes to res.locals.tokenName, where the audit trail reads it.
 * With no admin token at all (a reload removed them) the API is not there: 404, as if never mounted.
 */
export function adminAuth(o: AdminAuthOptions): RequestHandler {
  const limiter = o.limiter ?? new LoginLimiter();
  return (req, res, next) => {
    if (!o.access.adminEnabled) return next(new RefusalError(404, "not found"));
    const name = o.access.adminTokenName(bearerToken(req));
    if (name !== undefined) {
      res.locals.tokenName = name;
      return next();
    }
    o.onAuthFailure?.();
    const address = req.ip ?? "unknown";
    const wait = limiter.blockedFor(address);
    if (wait > 0) {
      res.set("Retry-After", String(wait));
      return next(new RefusalError(429, `too many failed admin logins from this address; try again in ${wait} s`));
    }
    limiter.fail(address);
    next(new RefusalError(401, "a valid admin token is required (Authorization: Bearer …)"));
  };
}
