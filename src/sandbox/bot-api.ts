/**
 * The simulated Telegram Bot API: `/bot<token>/<method>` and `/bot<token>/test/<method>`, answering with
 * Telegram's envelopes, codes and descriptions (taken from tdlib/telegram-bot-api) from the World's state.
 * Every call is counted; faults are applied before authorization, as a proxy in front of Telegram would.
 */
import express from "express";
import type { Request, Response, Router } from "express";
import { delay, patchedResult, performFault } from "./faults.ts";
import { BotApiError, readParams } from "./bot-api-params.ts";
import { HANDLERS } from "./bot-api-methods.ts";
import type { World } from "./world.ts";
import { TOKEN_SYNTAX } from "./world-schema.ts";

// Telegram matches method names case-insensitively.
const METHODS = new Map(Object.keys(HANDLERS).map((name) => [name.toLowerCase(), name]));

const PATH = /^\/bot([^/]*)\/(?:(test)\/)?([^/]+)\/?$/;

export function botApiRouter(world: World): Router {
  const router = express.Router();
  // Raw body for every content type: like the real server, anything not form-encoded is read as JSON.
  router.use(express.raw({ type: () => true, limit: "10mb" }));
  router.use(async (req: Request, res: Response) => {
    const m = PATH.exec(req.path);
    if (!m) return void sendError(res, new BotApiError(404, "Not Found"));
    const token = safeDecode(m[1] ?? "");
    const environment = m[2] ? "test" : "prod";
    const method = METHODS.get((m[3] ?? "").toLowerCase()) ?? safeDecode(m[3] ?? "");
    const wellFormed = TOKEN_SYNTAX.test(token);
    const bot = wellFormed ? world.findBotByToken(token) : undefined;
    world.recordCall(bot?.username ?? null, method);

    const plan = world.takeFaults(bot?.username ?? null, method);
    await delay(world.latencyMs + plan.latencyMs, res);
    if (res.destroyed || req.socket.destroyed) return;
    if (plan.outcome && plan.outcome.kind !== "patch") return performFault(plan.outcome, req, res);

    try {
      if (!wellFormed) throw new BotApiError(404, "Not Found");
      if (!bot || bot.revoked || bot.environment !== environment) throw new BotApiError(401, "Unauthorized");
      const handler = HANDLERS[method];
      if (!handler) throw new BotApiError(404, "Not Found");
      const result = handler({ world, bot, params: readParams(req) });
      res.json({ ok: true, result: patchedResult(result, plan.outcome) });
    } catch (err) {
      sendError(res, err instanceof BotApiError ? err : new BotApiError(500, "Internal Server Error"));
    }
  });
  return router;
}

function sendError(res: Response, err: BotApiError): void {
  res.status(err.code).json({ ok: false, error_code: err.code, description: err.message });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
