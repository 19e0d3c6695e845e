import express from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { botSchema, type BotConfig, type Config } from "../config/schema.ts";
import { RefusalError } from "../errors.ts";
import type { Fleet } from "../fleet.ts";
import type { Monitor } from "../monitor.ts";
import type { MonitoredBot } from "../model.ts";
import { maskToken, registerSecret } from "../redact.ts";
import { BotClient, telegramSettings } from "../telegram/client.ts";
import { TelegramError } from "../telegram/errors.ts";
import { createTransport } from "../telegram/transport.ts";
import type { WireUser } from "../telegram/wire.ts";
import { committed, isObject, param, parse, wrap } from "./admin-requests.ts";
import { botView } from "./status-view.ts";
import { audit } from "./admin-audit.ts";

export interface BotRoutesOptions {
  config: Config;
  fleet: Fleet;
  monitor: Monitor;
  logger: Logger;
}

const connectionInput = z.strictObject({ id: z.string().min(1).max(256) });

/**
 * /bots (README, "Admin API"): list, register, change and remove API bots (config bots are read-only),
 * run a sweep now, record a business connection id. Bodies are validated with the config's own schema;
 * `?verify=true` asks Telegram whether the token belongs to the username first. A bot is shown with
 * its token masked (`123456:****`).
 */
export function botRoutes(o: BotRoutesOptions): express.Router {
  const router = express.Router();
  const transport = createTransport({ maxSockets: 8 });

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
    if (!entry) throw new RefusalError(404, `no bot named "${name}"`, "name");
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
      const { bot, saved } = o.fleet.register(entry);
      await committed(Promise.all([saved, audit(req, res, `registered bot ${bot.name} (@${bot.username})`, bot.name)]));
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
      if (!isObject(req.body)) throw new RefusalError(400, "(body): expected a JSON object", "(body)");
      const current = o.fleet.apiEntry(name);
      const entry = parse(botSchema, { ...current, ...req.body }) as BotConfig;
      if (req.query.verify === "true" || req.query.verify === "1") await verify(entry, o.config, transport);
      registerSecret(entry.token);
      const { bot, saved } = o.fleet.update(name, entry);
      await committed(Promise.all([saved, audit(req, res, `changed bot ${name}: ${Object.keys(req.body).sort().join(", ") || "nothing"}`, name)]));
      o.logger.info({ bot: name, fields: Object.keys(req.body) }, "bot changed through the admin API");
      res.json(view(bot));
    }),
  );

  router.delete(
    "/bots/:name",
    wrap(async (req, res) => {
      const name = param(req, "name");
      const saved = o.fleet.remove(name);
      await committed(Promise.all([saved, audit(req, res, `removed bot ${name}`, name)]));
      o.logger.info({ bot: param(req, "name") }, "bot removed through the admin API");
      res.status(204).end();
    }),
  );

  router.post(
    "/bots/:name/run",
    wrap(async (req, res) => {
      const bot = found(param(req, "name"));
      // A sweep changes no state to acknowledge: it runs whether or not its audit line could be committed
      // (a store that fails reports it, and the line reaches the disk with the next commit).
      audit(req, res, `ran a sweep of ${bot.name}`, bot.name).catch(() => undefined);
      const status = await o.fleet.sweepNow(bot.name);
      res.json(botView(bot, status));
    }),
  );

  router.put(
    "/bots/:name/business-connection",
    wrap(async (req, res) => {
      found(param(req, "name"));
      const { id } = parse(connectionInput, req.body);
      const { bot, saved } = o.fleet.recordConnection(param(req, "name"), id);
      await committed(Promise.all([saved, audit(req, res, `recorded the business connection id of ${bot.name}`, bot.name)]));
      o.logger.info({ bot: bot.name }, "business connection id recorded");
      res.json(view(bot));
    }),
  );

  return router;
}

/** With ?verify=true: the token must be accepted by Telegram and belong to the given username. */
async function verify(entry: BotConfig, config: Config, transport: ReturnType<typeof createTransport>): Promise<void> {
  const client = new BotClient(entry.token, telegramSettings(config), transport, () => undefined);
  let me: WireUser;
  try {
    me = await client.call<WireUser>("getMe");
  } catch (err) {
    if (err instanceof TelegramError && !err.unreachable)
      throw new RefusalError(400, `token: Telegram rejected it (${err.code} ${err.description})`, "token");
    throw new RefusalError(
      502,
      `could not verify the token: Telegram did not answer (${err instanceof Error ? err.message : String(err)})`,
      "token",
    );
  }
  if ((me.username ?? "").toLowerCase() !== entry.username.toLowerCase())
    throw new RefusalError(400, `username: the token belongs to @${me.username ?? "?"}, not @${entry.username}`, "username");
}
