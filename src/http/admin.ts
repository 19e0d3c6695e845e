import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { botSchema, type BotConfig, type Config } from "../config/schema.ts";
import { formatPath, validate } from "../config/load.ts";
import type { Fleet } from "../fleet.ts";
import type { Monitor } from "../monitor.ts";
import type { MonitoredBot } from "../model.ts";
import type { StateStore } from "../store/state-store.ts";
import { BotClient, telegramSettings } from "../telegram/client.ts";
import { TelegramError } from "../telegram/errors.ts";
import { createTransport } from "../telegram/transport.ts";
import type { WireUser } from "../telegram/wire.ts";
import { maskToken, registerSecret } from "../redact.ts";
import { silenceWindow, type Silence } from "../alerts/silences.ts";
import { duration } from "../config/duration.ts";
import { botView } from "./status-view.ts";
import { sameSecret } from "./server.ts";
import { LoginLimiter } from "./login-limiter.ts";
import { HttpError } from "./errors.ts";

export interface AdminOptions {
  adminToken: string;
  config: Config;
  fleet: Fleet;
  monitor: Monitor;
  store: StateStore;
  logger: Logger;
  /** Counts failed logins (secretary_admin_auth_failures_total). */
  onAuthFailure?: () => void;
  limiter?: LoginLimiter;
}

const silenceInput = z
  .strictObject({
    matchers: z.record(z.string().min(1), z.string()).default({}),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    duration: duration.optional(),
    reason: z.string().min(1).max(500),
    createdBy: z.string().max(200).optional(),
  })
  .refine((s) => (s.endsAt === undefined) !== (s.duration === undefined), {
    error: "give exactly one of endsAt and duration",
    path: ["endsAt"],
  });

const connectionInput = z.strictObject({ id: z.string().min(1).max(256) });

/**
 * Every write is on disk before it is answered: a crash right after a 2xx loses nothing.
 *
 * The admin API (README, "Admin API"), mounted under /api/v1 only when server.adminToken is set. Bodies are
 * validated with the config's own schemas and messages; every error names the offending field.
 * Tokens never leave: a bot is shown with `123456:****`.
 */
export function adminRouter(o: AdminOptions): express.Router {
  const router = express.Router();
  const transport = createTransport({ maxSockets: 8 });

  const limiter = o.limiter ?? new LoginLimiter();
  // The token is checked first and a valid one always passes: only failures are counted and refused,
  // so no one can lock the admins out by failing from their address (or from behind their proxy).
  // req.ip is the peer, or the client a trusted proxy (server.trustProxy) forwarded.
  router.use((req, res, next) => {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (sameSecret(given, o.adminToken)) return next();
    o.onAuthFailure?.();
    const address = req.ip ?? "unknown";
    const wait = limiter.blockedFor(address);
    if (wait > 0) {
      res.set("Retry-After", String(wait));
      return next(new HttpError(429, `too many failed admin logins from this address; try again in ${wait} s`));
    }
    limiter.fail(address);
    next(new HttpError(401, "a valid admin token is required (Authorization: Bearer …)"));
  });
  router.use(express.json({ limit: "64kb", strict: true, type: () => true }));

  const view = (bot: MonitoredBot) => {
    const source = o.fleet.source(bot.name);
    return {
      name: bot.name,
      source,
      token: maskToken(bot.token),
      username: bot.username,
      ...(bot.botId !== undefined && { botId: bot.botId }),
      owner: { id: bot.ownerId },
      businessConnectionId: bot.businessConnectionId ?? null,
      probeChats: bot.probeChats,
      labels: bot.labels,
      status: botView(bot, o.monitor.status(bot.name)),
    };
  };
  const found = (name: string) => {
    const entry = o.fleet.get(name);
    if (!entry) throw new HttpError(404, `no bot named "${name}"`, "name");
    return entry.bot;
  };

  router.get("/bots", (_req, res) => {
    res.json({ bots: [...o.fleet.list()].map(({ bot }) => view(bot)) });
  });

  router.post(
    "/bots",
    wrap(async (req, res) => {
      const entry = parse(botSchema, req.body) as BotConfig;
      if (req.query.verify === "true" || req.query.verify === "1") await verify(entry, o.config, transport);
      registerSecret(entry.token);
      const bot = o.fleet.register(entry);
      await persisted(o.store);
      o.logger.info({ bot: bot.name }, "bot registered through the admin API");
      res.status(201).json(view(bot));
    }),
  );

  router.get("/bots/:name", (req, res) => {
    res.json(view(found(param(req, "name"))));
  });

  router.patch(
    "/bots/:name",
    wrap(async (req, res) => {
      const name = param(req, "name");
      found(name);
      if (!isObject(req.body)) throw new HttpError(400, "(body): expected a JSON object", "(body)");
      const current = o.fleet.apiEntry(name);
      const entry = parse(botSchema, { ...current, ...req.body }) as BotConfig;
      if (req.query.verify === "true" || req.query.verify === "1") await verify(entry, o.config, transport);
      registerSecret(entry.token);
      const bot = o.fleet.update(name, entry);
      await persisted(o.store);
      o.logger.info({ bot: name, fields: Object.keys(req.body) }, "bot changed through the admin API");
      res.json(view(bot));
    }),
  );

  router.delete(
    "/bots/:name",
    wrap(async (req, res) => {
      o.fleet.remove(param(req, "name"));
      await persisted(o.store);
      o.logger.info({ bot: param(req, "name") }, "bot removed through the admin API");
      res.status(204).end();
    }),
  );

  router.post(
    "/bots/:name/run",
    wrap(async (req, res) => {
      const bot = found(param(req, "name"));
      const status = await o.fleet.sweepNow(bot.name);
      res.json(botView(bot, status));
    }),
  );

  router.put(
    "/bots/:name/business-connection",
    wrap(async (req, res) => {
      found(param(req, "name"));
      const { id } = parse(connectionInput, req.body);
      const bot = o.fleet.recordConnection(param(req, "name"), id);
      await persisted(o.store);
      o.logger.info({ bot: bot.name }, "business connection id recorded");
      res.json(view(bot));
    }),
  );

  router.get("/silences", (_req, res) => {
    const now = Date.now();
    res.json({
      silences: o.store.data.silences.map((s) => ({ ...s, active: Date.parse(s.startsAt) <= now && now < Date.parse(s.endsAt) })),
    });
  });

  router.post(
    "/silences",
    wrap(async (req, res) => {
      const input = parse(silenceInput, req.body);
      const window = silenceWindow({ startsAt: input.startsAt, endsAt: input.endsAt, durationMs: input.duration }, Date.now());
      if (!window.ok) throw new HttpError(400, window.message, window.field);
      const { startsAt, endsAt } = window;
      const silence: Silence = {
        id: randomUUID(),
        matchers: input.matchers,
        startsAt,
        endsAt,
        reason: input.reason,
        ...(input.createdBy && { createdBy: input.createdBy }),
      };
      o.store.data.silences.push(silence);
      o.store.changed();
      await persisted(o.store, () => o.store.data.silences.splice(o.store.data.silences.indexOf(silence), 1));
      o.logger.info({ silence: silence.id, matchers: silence.matchers, endsAt }, "silence created");
      res.status(201).json(silence);
    }),
  );

  router.delete(
    "/silences/:id",
    wrap(async (req, res) => {
      const i = o.store.data.silences.findIndex((s) => s.id === param(req, "id"));
      if (i < 0) throw new HttpError(404, `no silence with id "${param(req, "id")}"`, "id");
      o.store.data.silences.splice(i, 1);
      o.store.changed();
      await persisted(o.store);
      res.status(204).end();
    }),
  );

  // Errors are answered by the app's one error handler (errors.ts).
  router.use((_req, _res, next) => next(new HttpError(404, "no such admin route")));
  return router;
}

/**
 * Waits until the change is on disk. When the state file cannot be written the answer is 503, never
 * a 2xx: `undo` takes the change back where that is possible (silences); other changes stay in effect
 * and reach the disk when it is writable again, which the message says.
 */
async function persisted(store: StateStore, undo?: () => void): Promise<void> {
  try {
    await store.flush();
  } catch (err) {
    undo?.();
    const what = undo ? "nothing was changed" : "the change is in effect but not yet saved; it is saved when the file is writable again";
    // The code only (EROFS, ENOSPC): the error's message holds the file's path, which is for the log.
    const code = (err as NodeJS.ErrnoException).code ?? "write failed";
    throw new HttpError(503, `the state file cannot be written (${code}): ${what}`, undefined, err);
  }
}

/** Validates with the config's messages; the first problem is the answer (its path is the field). */
function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = validate(schema, data);
  if (result.ok) return result.value;
  const first = result.problems[0]!;
  const field = first.path.length > 0 ? formatPath(first.path) : "(body)";
  throw new HttpError(400, result.problems.map((p) => p.text).join("; "), field);
}

/** With ?verify=true: the token must be accepted by Telegram and belong to the given username. */
async function verify(entry: BotConfig, config: Config, transport: ReturnType<typeof createTransport>): Promise<void> {
  const client = new BotClient(
    entry.token,
    telegramSettings(config),
    transport,
    () => undefined,
  );
  let me: WireUser;
  try {
    me = await client.call<WireUser>("getMe");
  } catch (err) {
    if (err instanceof TelegramError && !err.unreachable)
      throw new HttpError(400, `token: Telegram rejected it (${err.code} ${err.description})`, "token");
    throw new HttpError(
      502,
      `could not verify the token: Telegram did not answer (${err instanceof Error ? err.message : String(err)})`,
      "token",
    );
  }
  if ((me.username ?? "").toLowerCase() !== entry.username.toLowerCase())
    throw new HttpError(400, `username: the token belongs to @${me.username ?? "?"}, not @${entry.username}`, "username");
}

function param(req: Request, key: string): string {
  return String(req.params[key]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

type Handler = (req: Request, res: Response) => Promise<void>;
/** Express 5 forwards rejected promises itself; the wrapper keeps handler types explicit. */
const wrap = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);
