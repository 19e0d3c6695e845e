import express from "express";
import type { Logger } from "pino";
import type { Silence } from "../alerts/silences.ts";
import type { Config } from "../config/schema.ts";
import { RefusalError } from "../errors.ts";
import type { Fleet } from "../fleet.ts";
import type { Monitor } from "../monitor.ts";
import type { ListRepository } from "../store/repositories.ts";
import { adminAuth } from "./admin-auth.ts";
import { auditTrail } from "./admin-audit.ts";
import type { HistoryLog, HistoryReader } from "../history/history.ts";
import { adminHistoryRoutes } from "./admin-history.ts";
import { botRoutes } from "./admin-bots.ts";
import { silenceRoutes, type SilenceRoutesOptions } from "./admin-silences.ts";
import type { LoginLimiter } from "./login-limiter.ts";
import type { Access } from "./access.ts";

export interface AdminOptions {
  /** The admin tokens, read on every request (access.ts). */
  access: Access;
  config: Config;
  fleet: Fleet;
  monitor: Monitor;
  /** Where the admin API's silences live (the state store's silences). */
  store: { readonly silences: ListRepository<Silence>; flush(): Promise<void> };
  logger: Logger;
  /** The config's maintenance windows, listed by GET /silences. */
  maintenance?: SilenceRoutesOptions["maintenance"];
  /** Counts failed logins (secretary_admin_auth_failures_total). */
  onAuthFailure?: () => void;
  limiter?: LoginLimiter;
  /** Where admin changes are recorded (the audit log), and the history the lists read (admin-history.ts). */
  history?: Pick<HistoryLog, "recordAudit"> & Pick<HistoryReader, "incidents" | "audit" | "notifications">;
}

/**
 * The admin API (README, "Admin API"), under /api/v1 while an admin token (server.adminToken, server.adminTokens) is set:
 * the bearer-token check (admin-auth.ts), then the bots (admin-bots.ts), the silences
 * (admin-silences.ts) and the history lists (admin-history.ts). Bodies are validated with the
 * config's own schemas and messages, and every refusal is a RefusalError naming the offending field,
 * answered by the app's one error handler (errors.ts). Every write is committed before it is answered: a crash right after a 2xx loses
 * nothing. Tokens never leave: a bot is shown with `123456:****`.
 */
export function adminRouter(o: AdminOptions): express.Router {
  const router = express.Router();
  router.use(adminAuth(o));
  router.use(auditTrail(o.history, () => o.store.flush()));
  router.use(express.json({ limit: "64kb", strict: true, type: () => true }));
  router.use(botRoutes(o));
  router.use(silenceRoutes(o));
  if (o.history) router.use(adminHistoryRoutes({ history: o.history }));
  router.use((_req, _res, next) => next(new RefusalError(404, "no such admin route")));
  return router;
}
