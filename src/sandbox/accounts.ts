/**
 * The simulated user accounts (mounted under /_sandbox/accounts): what a test-account client needs to
 * write to a bot owner's profile, read the messages it receives (long poll) and clean up after itself.
 * Thin, like the control API: every operation is a World method. Errors reach control.ts's handler.
 *
 *   POST   /:userId/messages                {peer, text}      → 201 {messageId}
 *   GET    /:userId/updates?offset=N&timeout=S                 → {updates: [{updateId, message}]}
 *   GET    /:userId/chats/:peer/messages                       → [{messageId, from, to, text, date}]
 *   DELETE /:userId/chats/:peer/messages    {messageIds}      → {deleted: [ids]}
 */
import express from "express";
import type { Request, Router } from "express";
import { z } from "zod";
import { WorldError, formatIssues } from "./world-load.ts";
import type { World } from "./world.ts";

/** Longest long poll, in seconds (a client asking for more gets this). */
export const MAX_POLL_SECONDS = 30;

const sendSchema = z.object({ peer: z.number().int().positive(), text: z.string() }).strict();
const deleteSchema = z.object({ messageIds: z.array(z.number().int().positive()).min(1).max(100) }).strict();

export function accountsRouter(world: World): Router {
  const r = express.Router();

  r.post("/:userId/messages", (req, res) => {
    const from = userIdParam(req, "userId");
    const { peer, text } = validate(sendSchema, req.body);
    res.status(201).json(world.sendAccountMessage(from, peer, text));
  });

  r.get("/:userId/updates", async (req, res) => {
    const userId = userIdParam(req, "userId");
    const offset = numberQuery(req, "offset", /^\d+$/) ?? 0;
    const timeout = Math.min(numberQuery(req, "timeout", /^\d+(\.\d+)?$/) ?? 0, MAX_POLL_SECONDS);
    // A client that goes away (or the sandbox closing its sockets) ends the wait.
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const updates = await world.pollAccount(userId, { offset, timeoutMs: timeout * 1000, signal: gone.signal });
    if (!res.destroyed) res.json({ updates });
  });

  r.get("/:userId/chats/:peer/messages", (req, res) => {
    res.json(world.accountChat(userIdParam(req, "userId"), idParam(req, "peer")));
  });

  r.delete("/:userId/chats/:peer/messages", (req, res) => {
    const userId = userIdParam(req, "userId");
    const peer = idParam(req, "peer");
    const { messageIds } = validate(deleteSchema, req.body);
    res.json({ deleted: world.deleteAccountMessages(userId, peer, messageIds) });
  });

  return r;
}

/** The acting account: anything that is not a known user's id is 404. */
function userIdParam(req: Request, name: string): number {
  const raw = String(req.params[name] ?? "");
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new WorldError(404, `no user with id ${raw}`);
  return id;
}

function idParam(req: Request, name: string): number {
  const raw = String(req.params[name] ?? "");
  if (!/^\d{1,15}$/.test(raw) || Number(raw) <= 0) throw new WorldError(400, `${name}: must be a user id`);
  return Number(raw);
}

function numberQuery(req: Request, name: string, shape: RegExp): number | undefined {
  const raw = req.query[name];
  if (raw === undefined || raw === "") return undefined;
  if (typeof raw !== "string" || !shape.test(raw)) throw new WorldError(400, `${name}: must be a non-negative number`);
  return Number(raw);
}

function validate<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new WorldError(400, formatIssues(r.error.issues, "body"));
  return r.data;
}
