import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server, type ServerOptions } from "node:http";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { Logger } from "pino";
import type { Monitor } from "../monitor.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { botView, fleetView, withHistoryFields, type AlertSource } from "./status-view.ts";
import { botHistoryFields, fleetHistoryFields, UNREAD_HISTORY_FIELDS } from "./history-view.ts";
import { historyOrNothing } from "./history-read.ts";
import { historyRouter } from "./history-routes.ts";
import { statusPageRouter } from "./status-page.ts";
import { errorHandler } from "./errors.ts";
import { RefusalError } from "../errors.ts";
import type { HistoryReader } from "../history/history.ts";
import { bearerToken } from "./bearer.ts";

export interface HttpOptions {
  host: string;
  port: number;
  monitor: Monitor;
  metrics: Metrics;
  logger: Logger;
  /** server.metricsToken now (a reload may change it), or undefined for an open /metrics. */
  metricsToken?: () => string | undefined;
  /** /healthz: the process and its scheduler live. */
  live: () => boolean;
  /** /readyz: serving (false while starting or shutting down). */
  ready: () => boolean;
  pageRefreshSeconds?: number;
  /** POST /-/reload (reload-route.ts). */
  reload?: express.Router;
  /** The admin API, under /api/v1 (it answers 404 while no admin token is set). */
  admin?: express.Router;
  /**
   * Basic auth (basic-auth.ts) in front of the page and /status* (history, badges); /healthz, /readyz
   * and /metrics come before it, and the admin API and /-/ keep their bearer tokens.
   */
  basicAuth?: RequestHandler;
  /** Alert states, silences and the outbox, shown per bot by /status and the page. */
  alerts?: AlertSource;
  /**
   * server.trustProxy: addresses (IPs, CIDRs) of reverse proxies whose X-Forwarded-For is believed. The
   * client is then the right-most address of the chain that is not one of them (Express's `trust proxy`).
   */
  trustProxy?: readonly string[];
  /** Uptime, incidents and the daily bars (README, "Storage and history"); absent, the views show none. */
  history?: HistoryReader;
}

export interface HttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Bearer tokens compared in constant time (hashing first makes the lengths equal). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export function createApp(o: HttpOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Without trusted proxies req.ip is the peer: a forwarded header from anyone else is ignored.
  if (o.trustProxy && o.trustProxy.length > 0) app.set("trust proxy", [...o.trustProxy]);

  app.get("/healthz", (_req, res) => {
    const live = o.live();
    res.status(live ? 200 : 503).json({ status: live ? "ok" : "scheduler stopped" });
  });
  app.get("/readyz", (_req, res) => {
    const ready = o.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready" });
  });

  app.get("/metrics", async (req: Request, res: Response, next: NextFunction) => {
    const token = o.metricsToken?.();
    if (token && !sameSecret(bearerToken(req), token)) {
      next(new RefusalError(401, "a valid metrics token is required (Authorization: Bearer …)"));
      return;
    }
    // Streamed in chunks: a 10,000-bot exposition is ~45 MB, never held whole; the event loop runs between
    // chunks. A chunk's buffer is filled again once we ask for the next, so each is handed to the socket
    // first (the write callback), which is also the back-pressure: a slow scraper slows the render.
    res.type(o.metrics.registry.contentType);
    try {
      for await (const chunk of o.metrics.registry.stream()) {
        if (res.destroyed) return;
        await written(res, chunk);
      }
      res.end();
    } catch {
      // The scraper went away mid-answer: nothing to answer.
      res.destroy();
    }
  });

  const basic = o.basicAuth;
  if (basic) app.use((req, res, next) => (req.path.startsWith("/api/") || req.path.startsWith("/-/") ? next() : basic(req, res, next)));

  app.get("/status", async (_req, res) => {
    let view = fleetView(o.monitor.bots(), (n) => o.monitor.status(n), o.alerts);
    const history = o.history;
    if (history) {
      const fields = (await statusHistory(o.logger, () => fleetHistoryFields(history, Date.now()))) ?? (() => UNREAD_HISTORY_FIELDS);
      view = { ...view, bots: view.bots.map((b) => withHistoryFields(b, fields(b.name))) };
    }
    res.status(view.bots.some((b) => b.health === "down") ? 503 : 200).json(view);
  });

  app.get("/status/bots/:name", async (req, res) => {
    const bot = o.monitor.get(req.params.name);
    if (!bot) {
      res.status(404).json({ error: `no bot named "${req.params.name}"` });
      return;
    }
    let view = botView(bot, o.monitor.status(bot.name), o.alerts);
    const history = o.history;
    if (history) view = withHistoryFields(view, (await statusHistory(o.logger, () => botHistoryFields(history, bot.name, Date.now()))) ?? UNREAD_HISTORY_FIELDS);
    res.status(view.health === "healthy" || view.health === "degraded" ? 200 : 503).json(view);
  });

  if (o.reload) app.use(o.reload);
  app.use(statusPageRouter(o));
  if (o.history) app.use(historyRouter({ monitor: o.monitor, history: o.history, logger: o.logger }));
  if (o.admin) app.use("/api/v1", o.admin);

  app.use((_req, _res, next) => next(new RefusalError(404, "not found")));
  app.use(errorHandler(o.logger));
  return app;
}

/**
 * The history fields of /status, or undefined when the store cannot be read (I/O error, unreachable):
 * /status is what uptime probes watch, so it still answers the live verdicts, with `uptime` and
 * `incident` null, and the cause goes to the log (once per request, not per bot).
 */
const statusHistory = <T>(logger: Logger, read: () => Promise<T>) => historyOrNothing(logger, "/status answers uptime and incident null", read);


/**
 * Slow clients (slowloris) and held sockets, bounded (README, "Operations"; test/faults/http-abuse.test.ts).
 * Node's defaults let a client take 60 s to send its headers and 300 s for the whole request, checked
 * only every 30 s. Our requests are small (admin bodies ≤ 64 KiB, the rest none), so 10 s for the
 * headers and 20 s for the whole request is generous; a late one is answered 408 and closed. Headers
 * over 16 KiB are answered 431 (Node's limit, kept: named here so it is seen). Answers are not bounded:
 * a slow scraper of a large /metrics keeps its connection.
 */
export const HTTP_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 20_000,
  connectionsCheckingInterval: 1_000,
  keepAliveTimeout: 5_000,
  maxHeaderSize: 16 * 1024,
} satisfies ServerOptions;

export async function startHttpServer(o: HttpOptions): Promise<HttpServer> {
  const app = createApp(o);
  const server = createServer(HTTP_LIMITS, app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Writes `chunk` and resolves once the socket has taken it; rejects if the connection closes first. */
function written(res: Response, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(new Error("connection closed"));
    res.once("close", closed);
    res.write(chunk, (err) => {
      res.off("close", closed);
      if (err) reject(err);
      else resolve();
    });
  });
}
