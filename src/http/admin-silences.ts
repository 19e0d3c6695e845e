import { audit } from "./admin-audit.ts";
import { randomUUID } from "node:crypto";
import express from "express";
import type { Logger } from "pino";
import { z } from "zod";
import type { MaintenanceSchedule, Occurrence, WindowAt } from "../alerts/maintenance-windows.ts";
import { silenceWindow, type Silence } from "../alerts/silences.ts";
import { duration, formatDuration } from "../config/duration.ts";
import { RefusalError } from "../errors.ts";
import type { ListRepository } from "../store/repositories.ts";
import { committed, param, parse, wrap } from "./admin-requests.ts";

export interface SilenceRoutesOptions {
  /** Where the admin API's silences live (the state store's silences). */
  store: { readonly silences: ListRepository<Silence> };
  logger: Logger;
  /** The config's maintenance windows, listed beside the silences (not created or deleted here). */
  maintenance?: Pick<MaintenanceSchedule, "windowsAt">;
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

/**
 * /silences (README, "Admin API"): list, create (a window of at most a year, checked by silenceWindow)
 * and delete. A silence that cannot be saved is taken back: the answer is 503 and nothing changed.
 */
export function silenceRoutes(o: SilenceRoutesOptions): express.Router {
  const router = express.Router();
  const silences = o.store.silences;

  router.get("/silences", (_req, res) => {
    const now = Date.now();
    res.json({
      silences: silences.list().map((s) => ({ ...s, active: Date.parse(s.startsAt) <= now && now < Date.parse(s.endsAt) })),
      maintenance: (o.maintenance?.windowsAt(new Date(now)) ?? []).map(windowView),
    });
  });

  router.post(
    "/silences",
    wrap(async (req, res) => {
      const input = parse(silenceInput, req.body);
      const window = silenceWindow({ startsAt: input.startsAt, endsAt: input.endsAt, durationMs: input.duration }, Date.now());
      if (!window.ok) throw new RefusalError(400, window.message, window.field);
      const { startsAt, endsAt } = window;
      const silence: Silence = {
        id: randomUUID(),
        matchers: input.matchers,
        startsAt,
        endsAt,
        reason: input.reason,
        ...(input.createdBy && { createdBy: input.createdBy }),
      };
      const saved = silences.add([silence]);
      await committed(Promise.all([saved, audit(req, res, `created silence ${silence.id} (${Object.entries(silence.matchers).map(([k, v]) => `${k}=${v}`).join(", ")}) until ${endsAt}: ${silence.reason}`)]), () => void silences.remove(silence.id));
      o.logger.info({ silence: silence.id, matchers: silence.matchers, endsAt }, "silence created");
      res.status(201).json(silence);
    }),
  );

  router.delete(
    "/silences/:id",
    wrap(async (req, res) => {
      const id = param(req, "id");
      if (!silences.get(id)) throw new RefusalError(404, `no silence with id "${id}"`, "id");
      const saved = silences.remove(id);
      await committed(Promise.all([saved, audit(req, res, `deleted silence ${id}`)]));
      res.status(204).end();
    }),
  );

  return router;
}

const isoRange = (o: Occurrence | null) => o && { startsAt: new Date(o.startsAt).toISOString(), endsAt: new Date(o.endsAt).toISOString() };

/**
 * A config maintenance window as the admin API lists it: its definition as written (duration as a
 * duration), whether an occurrence is in effect now (`current`: since and until when), and the next one.
 */
function windowView({ id, window, current, next }: WindowAt) {
  return {
    id,
    bots: window.bots ?? [],
    labels: window.labels ?? {},
    ...(window.cron !== undefined ? { cron: window.cron, timezone: window.timezone ?? "UTC" } : { start: window.start }),
    duration: formatDuration(window.duration),
    reason: window.reason ?? "",
    active: current !== null,
    current: isoRange(current),
    next: isoRange(next),
  };
}
