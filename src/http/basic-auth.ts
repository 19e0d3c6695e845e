import type { Request, RequestHandler } from "express";
import { RefusalError } from "../errors.ts";
import type { Access } from "./access.ts";
import { LoginLimiter } from "./login-limiter.ts";
import { BusyLoginError } from "./hash-gate.ts";

/** RFC 7617's challenge; the charset tells the browser to send the user and password as UTF-8. */
export const BASIC_CHALLENGE = 'Basic realm="secretary-watch", charset="UTF-8"';

export interface BasicAuthOptions {
  /** The users now (server.auth.users); read on every request, none: open. */
  access: Access;
  /** Counts failed logins (secretary_http_auth_failures_total). */
  onAuthFailure?: () => void;
  limiter?: LoginLimiter;
}

/** The user and password of an `Authorization: Basic` header, or undefined when there is none or it is not one. */
function credentials(req: Request): { user: string; password: string } | undefined {
  const header = req.headers.authorization ?? "";
  if (!/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP basic auth on the page and /status (README, "Access"). As the admin auth does, it checks the
 * password first, so a right one passes, and counts and limits only wrong ones per address; a
 * request without credentials (a browser's first) is answered the challenge without counting as a failure.
 * A blocked address gets one check a second (bcrypt is slow on purpose): a login already known good
 * passes at once, another right one within a second of retrying.
 */
export function basicAuth(o: BasicAuthOptions): RequestHandler {
  const limiter = o.limiter ?? new LoginLimiter();
  return (req, res, next) => {
    if (!o.access.usersEnabled) return next();
    const given = credentials(req);
    const refuse = () => {
      res.set("WWW-Authenticate", BASIC_CHALLENGE);
      next(new RefusalError(401, "a user name and password are required (HTTP basic auth)"));
    };
    if (!given) return refuse();
    const address = req.ip ?? "unknown";
    const refuseBlocked = (wait: number) => {
      o.onAuthFailure?.();
      res.set("Retry-After", String(wait));
      next(new RefusalError(429, `too many failed logins from this address; try again in ${wait} s`));
    };
    o.access.checkUser(given.user, given.password, limiter.mayCheck(address)).then(
      (ok) => {
        if (ok) return next();
        const wait = limiter.blockedFor(address);
        if (wait > 0) return refuseBlocked(wait);
        o.onAuthFailure?.();
        limiter.fail(address);
        refuse();
      },
      (err: unknown) => {
        if (!(err instanceof BusyLoginError)) return next(err);
        // A blocked address's guess beyond its one check a second is answered as its failures are.
        const wait = limiter.blockedFor(address);
        if (wait > 0) return refuseBlocked(wait);
        // Too many logins waiting for the hash check (hash-gate.ts): retry in a second; not a failure.
        res.set("Retry-After", "1");
        next(err);
      },
    );
  };
}
