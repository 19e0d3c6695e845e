import type { Metrics } from "../metrics/metrics.ts";
import type { Access } from "./access.ts";
import { adminRouter, type AdminOptions } from "./admin.ts";
import { basicAuth } from "./basic-auth.ts";
import type { HttpOptions } from "./server.ts";

/**
 * The routes `access` guards, for startHttpServer: the admin API (bearer tokens) and the basic auth of
 * the page and /status. Both are always in place and read `access` per request, so a reload that adds
 * the first token or user, or removes the last, needs no new routes.
 */
export function guardedRoutes(access: Access, metrics: Metrics, admin: Omit<AdminOptions, "access" | "onAuthFailure">): Pick<HttpOptions, "admin" | "basicAuth"> {
  return {
    admin: adminRouter({ ...admin, access, onAuthFailure: () => metrics.observeAuthFailure() }),
    basicAuth: basicAuth({ access, onAuthFailure: () => metrics.observeHttpAuthFailure() }),
  };
}
