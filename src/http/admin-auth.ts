import type { RequestHandler } from "express";
import { RefusalError } from "../errors.ts";
import { LoginLimiter } from "./login-limiter.ts";
import { sameSecret } from "./server.ts";

export interface AdminAuthOptions {
  adminToken: string;
  /** Counts failed logins (secretary_admin_auth_failures_total). */
  onAuthFailure?: () => void;
  limiter?: LoginLimiter;
}

/**
 * The admin API's bearer-token check. The token is checked first and a valid one always passes: only
 * failures are counted and refused, so no one can lock the admins out by failing from their address
 * (or from behind their proxy). req.ip is the peer, or the client a trusted proxy (server.trustProxy)
 * forwarded.
 */
export function adminAuth(o: AdminAuthOptions): RequestHandler {
  const limiter = o.limiter ?? new LoginLimiter();
  return (req, res, next) => {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (sameSecret(given, o.adminToken)) return next();
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
