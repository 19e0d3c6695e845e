import { z } from "zod";
import { DAY } from "../config/duration.ts";
import { RefusalError } from "../errors.ts";
import { parse } from "./admin-requests.ts";

/**
 * The query strings of the history reads (README, "HTTP endpoints" and "Admin API"), validated with the
 * admin API's `parse`: a bad value is a 400 naming its parameter (`{"error": "from: …", "field": "from"}`),
 * and so is an unknown one (a mistyped `?form=` must not quietly answer the default range).
 */

/** The longest range one history read covers: a bit more than a year, twice the default retention. */
export const MAX_RANGE_MS = 400 * DAY;
/** `GET /status/bots/:name/history` without `from`: the last 7 days. */
export const DEFAULT_RANGE_MS = 7 * DAY;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** 2026-12-01, 2026-12-01T10:00Z, 2026-12-01T10:00:00.000+01:00 (a date alone is its UTC midnight). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const isoError = (iss: { input?: unknown }) =>
  `expected an ISO 8601 time such as 2026-12-01T00:00:00Z (or a date, 2026-12-01), got ${typeof iss.input === "string" ? JSON.stringify(iss.input) : "a list"}`;

/** An ISO time as epoch ms. */
const isoTime = z
  .string({ error: isoError })
  .regex(ISO_TIME, { error: isoError })
  .refine((text) => !Number.isNaN(Date.parse(text)), { error: isoError })
  .transform((text) => Date.parse(text));

const limit = z
  .string({ error: (iss) => `expected an integer from 1 to ${MAX_LIMIT}, got ${typeof iss.input === "string" ? JSON.stringify(iss.input) : "a list"}` })
  .regex(/^\d+$/, { error: (iss) => `expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(iss.input)}` })
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_LIMIT));

const name = z.string().min(1).max(200);

const rangeShape = { from: isoTime.optional(), to: isoTime.optional() };

/** A `to` before `from` names `to`; the range is checked before anything is read. */
function checkOrder(range: { from?: number | undefined; to?: number | undefined }): void {
  if (range.from !== undefined && range.to !== undefined && range.to <= range.from)
    throw new RefusalError(400, `to: must be after from (${new Date(range.from).toISOString()}), got ${new Date(range.to).toISOString()}`, "to");
}

/**
 * `?from=&to=` of one bot's history: default the 7 days before `to`, `to` default (and at most) now: the
 * future is not known yet, and a window reaching into it would count that time as a gap. At most
 * MAX_RANGE_MS.
 */
export function historyRange(query: unknown, now: number): { from: number; to: number } {
  const asked = parse(z.strictObject(rangeShape), query);
  checkOrder(asked);
  const to = Math.min(asked.to ?? now, now);
  const from = asked.from ?? to - DEFAULT_RANGE_MS;
  if (from >= to) throw new RefusalError(400, `from: must be before now (${new Date(now).toISOString()}), got ${new Date(from).toISOString()}`, "from");
  if (to - from > MAX_RANGE_MS)
    throw new RefusalError(400, `from: the range is ${Math.ceil((to - from) / DAY)} days; at most ${MAX_RANGE_MS / DAY} days are read at once (ask for several ranges)`, "from");
  return { from, to };
}

const listShape = { ...rangeShape, limit: limit.optional() };
const incidentsSchema = z.strictObject({ ...listShape, bot: name.optional() });
const auditSchema = z.strictObject(listShape);
const notificationsSchema = z.strictObject({ ...listShape, channel: name.optional(), result: z.enum(["sent", "failed", "dropped"]).optional() });

/** A list's query: in order, with the default limit. */
function listed<T extends { from?: number | undefined; to?: number | undefined; limit?: number | undefined }>(parsed: T): T & { limit: number } {
  checkOrder(parsed);
  return { ...parsed, limit: parsed.limit ?? DEFAULT_LIMIT };
}

/** `GET /api/v1/incidents?bot=&from=&to=&limit=`. */
export const incidentsQuery = (query: unknown) => listed(parse(incidentsSchema, query));
/** `GET /api/v1/audit?from=&to=&limit=`. */
export const auditQuery = (query: unknown) => listed(parse(auditSchema, query));
/** `GET /api/v1/notifications?channel=&result=&from=&to=&limit=`. */
export const notificationsQuery = (query: unknown) => listed(parse(notificationsSchema, query));
