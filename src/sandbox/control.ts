/**
 * The sandbox control API (mounted under /_sandbox): lets tests, the demo and the benchmark change the
 * world while it runs — revoke a token, drop a right, break a webhook, inject faults — and read back what
 * the monitor did (call counts, sent messages); /accounts lets a simulated user account write and read
 * private messages. Thin: every operation is a World method; what it answers is world-view.ts.
 */
import express from "express";
import type { NextFunction, Request, Response, Router } from "express";
import { accountsRouter } from "./accounts.ts";
import { WorldError } from "./world-load.ts";
import { botView, worldView } from "./world-view.ts";
import type { World } from "./world.ts";

export function controlRouter(world: World): Router {
  const r = express.Router();
  r.use(express.json({ limit: "10mb" }));
  const body = (req: Request): unknown => req.body ?? {};
  const param = (req: Request, name: string): string => String(req.params[name] ?? "");

  r.get("/world", (_req, res) => void res.json(worldView(world)));
  r.post("/reset", (_req, res) => {
    world.reset();
    res.json(worldView(world));
  });

  r.post("/bots", (req, res) => void res.status(201).json(botView(world, world.addBot(body(req)))));
  r.patch("/bots/:username", (req, res) => {
    res.json(botView(world, world.updateBot(param(req, "username"), body(req))));
  });
  r.delete("/bots/:username", (req, res) => {
    world.removeBot(param(req, "username"));
    res.status(204).end();
  });

  r.post("/bots/:username/updates", (req, res) => {
    res.status(201).json({ pending: world.queueUpdates(param(req, "username"), body(req)) });
  });

  r.post("/bots/:username/connections", (req, res) => {
    res.status(201).json(world.addConnection(param(req, "username"), body(req)));
  });
  r.patch("/bots/:username/connections/:id", (req, res) => {
    res.json(world.updateConnection(param(req, "username"), param(req, "id"), body(req)));
  });
  r.delete("/bots/:username/connections/:id", (req, res) => {
    world.removeConnection(param(req, "username"), param(req, "id"));
    res.status(204).end();
  });

  r.post("/faults", (req, res) => void res.status(201).json({ id: world.addFault(body(req)).id }));
  r.get("/faults", (_req, res) => void res.json(world.faults()));
  r.delete("/faults/:id", (req, res) => {
    world.removeFault(param(req, "id"));
    res.status(204).end();
  });
  r.delete("/faults", (_req, res) => {
    world.clearFaults();
    res.status(204).end();
  });

  r.get("/calls", (_req, res) => void res.json(world.calls()));
  r.delete("/calls", (_req, res) => {
    world.clearCalls();
    res.status(204).end();
  });

  r.get("/messages", (_req, res) => void res.json(world.messages()));
  r.delete("/messages", (_req, res) => {
    world.clearMessages();
    res.status(204).end();
  });

  // Simulated user accounts: what the sandbox test account drives (see accounts.ts).
  r.use("/accounts", accountsRouter(world));

  r.use((_req, res) => void res.status(404).json({ error: "no such sandbox control route" }));
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof WorldError) return void res.status(err.status).json({ error: err.message });
    if (isBodyParseError(err)) return void res.status(400).json({ error: `body: invalid JSON (${err.message})` });
    res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
  });
  return r;
}

function isBodyParseError(err: unknown): err is Error & { type: string } {
  return err instanceof Error && (err as { type?: unknown }).type === "entity.parse.failed";
}
