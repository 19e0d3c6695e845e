/**
 * Sandbox fault injection: what a fault is, which calls it hits, and how it misbehaves on the wire.
 * Faults imitate what sits between a monitor and Telegram: Telegram's own 429 flood control, a 500 from
 * the Bot API server, an nginx 502/503 page from the proxy in front of it, slowness, a request that never
 * gets an answer, and a connection that is cut. Two more imitate answers that are not the Bot API's:
 * `answer` sends any status and body instead (a proxy's 404 page, JSON of another shape), and
 * `patchResult` sends the real answer with some result fields replaced (`is_enabled: "false"`). An
 * `answer` may also be cut off mid-body (`cutAfter`) or padded to any size and streamed (`padTo`).
 */
import http from "node:http";
import { z } from "zod";
import type { Request, Response } from "express";

export const faultSchema = z
  .object({
    /** Kept when a world snapshot is loaded back; assigned by the world otherwise. */
    id: z.string().min(1).optional(),
    /** Bot username (case-insensitive); omitted = every call, even with unknown tokens. */
    bot: z.string().min(1).optional(),
    /** Bot API method names (case-insensitive); omitted = every method. */
    methods: z.array(z.string().min(1)).min(1).optional(),
    status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]).optional(),
    /** Seconds, for 429 only (default 1). */
    retryAfter: z.number().int().positive().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    hang: z.literal(true).optional(),
    reset: z.literal(true).optional(),
    /** Answer this instead of the Bot API: any status, a body (default an nginx page for the status). */
    answer: z
      .object({
        status: z.number().int().min(200).max(599),
        contentType: z.string().min(1).default("text/html"),
        body: z.string().optional(),
        /**
         * Bytes the body is padded to with spaces, streamed in chunks without a Content-Length: a body
         * that goes on and on (50 MB of it) while the sandbox holds one chunk at a time.
         */
        padTo: z.number().int().positive().max(1 << 30).optional(),
        /** Bytes of the body sent before the connection is closed; Content-Length announces all of it. */
        cutAfter: z.number().int().nonnegative().optional(),
      })
      .strict()
      .refine((a) => a.padTo === undefined || a.cutAfter === undefined, { message: "padTo and cutAfter exclude each other", path: ["cutAfter"] })
      .optional(),
    /** The real answer, with these fields of its result replaced (an object result only). */
    patchResult: z.record(z.string(), z.unknown()).optional(),
    /** Apply this many times, then the fault removes itself; omitted = permanent. */
    count: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const outcomes = [f.status !== undefined, f.hang === true, f.reset === true, f.answer !== undefined, f.patchResult !== undefined].filter(Boolean).length;
    if (outcomes === 0 && f.latencyMs === undefined) {
      ctx.addIssue({ code: "custom", path: [], message: "a fault needs one of status, latencyMs, hang, reset, answer, patchResult" });
    }
    if (outcomes > 1) {
      ctx.addIssue({ code: "custom", path: [], message: "status, hang, reset, answer and patchResult exclude each other" });
    }
    if (f.retryAfter !== undefined && f.status !== 429) {
      ctx.addIssue({ code: "custom", path: ["retryAfter"], message: "only applies with status 429" });
    }
  });

export type FaultSpec = z.output<typeof faultSchema>;
/** A fault as it is written (defaults not yet filled in). */
export type FaultInput = z.input<typeof faultSchema>;
export type Fault = FaultSpec & { id: string };

export type FaultOutcome =
  | { kind: "status"; status: 429 | 500 | 502 | 503; retryAfter: number }
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "answer"; status: number; contentType: string; body: string; padTo?: number; cutAfter?: number }
  | { kind: "patch"; fields: Record<string, unknown> };

/** What the matching faults do to one call: extra latency, then at most one outcome. */
export type FaultPlan = { latencyMs: number; outcome: FaultOutcome | null; used: string[] };

export function faultMatches(fault: FaultSpec, bot: string | null, method: string): boolean {
  if (fault.bot !== undefined && (bot === null || fault.bot.toLowerCase() !== bot.toLowerCase())) return false;
  if (fault.methods !== undefined && !fault.methods.some((m) => m.toLowerCase() === method.toLowerCase())) {
    return false;
  }
  return true;
}

/**
 * Latency of every matching fault adds up; the first matching fault with an outcome decides it.
 * `used` lists the faults that took effect, so their `count` can be spent.
 */
export function planFaults(faults: readonly Fault[], bot: string | null, method: string): FaultPlan {
  const plan: FaultPlan = { latencyMs: 0, outcome: null, used: [] };
  for (const f of faults) {
    if (!faultMatches(f, bot, method)) continue;
    const outcome = outcomeOf(f);
    if (outcome !== null && plan.outcome !== null) continue;
    plan.latencyMs += f.latencyMs ?? 0;
    if (outcome !== null) plan.outcome = outcome;
    plan.used.push(f.id);
  }
  return plan;
}

function outcomeOf(f: FaultSpec): FaultOutcome | null {
  if (f.status !== undefined) return { kind: "status", status: f.status, retryAfter: f.retryAfter ?? 1 };
  if (f.hang === true) return { kind: "hang" };
  if (f.reset === true) return { kind: "reset" };
  if (f.answer) {
    const { status, contentType, padTo, cutAfter } = f.answer;
    return { kind: "answer", status, contentType, body: f.answer.body ?? proxyPage(status), padTo, cutAfter };
  }
  if (f.patchResult) return { kind: "patch", fields: f.patchResult };
  return null;
}

/** Waits, but gives up as soon as the client goes away (so close() and aborts are not held up). */
export function delay(ms: number, res: Response): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on("close", done);
  });
}

/** The real result with a patch fault's fields replaced; results that are not objects are left alone. */
export function patchedResult(result: unknown, outcome: FaultOutcome | null): unknown {
  if (outcome?.kind !== "patch" || typeof result !== "object" || result === null || Array.isArray(result)) return result;
  return { ...result, ...outcome.fields };
}

/** Answers (or refuses to answer) the way the fault says. A patch is applied to the real answer instead. */
export function performFault(outcome: Exclude<FaultOutcome, { kind: "patch" }>, req: Request, res: Response): void {
  switch (outcome.kind) {
    case "hang":
      // Read the request, never answer: the socket stays open until the client or close() ends it.
      return;
    case "reset":
      req.socket.destroy();
      return;
    case "status":
      sendStatus(outcome.status, outcome.retryAfter, res);
      return;
    case "answer":
      res.status(outcome.status).type(outcome.contentType);
      if (outcome.padTo !== undefined) return void streamPadded(Buffer.from(outcome.body), outcome.padTo, res);
      if (outcome.cutAfter !== undefined) return cutOff(Buffer.from(outcome.body), outcome.cutAfter, req, res);
      res.send(outcome.body);
  }
}

const PAD_CHUNK = Buffer.alloc(64 * 1024, " ");

/** `body`, then spaces up to `total` bytes, written as the client takes them; stops when it goes away. */
async function streamPadded(body: Buffer, total: number, res: Response): Promise<void> {
  let left = total - body.length;
  if (!res.write(body)) await drained(res);
  while (left > 0 && !res.destroyed) {
    const chunk = left >= PAD_CHUNK.length ? PAD_CHUNK : PAD_CHUNK.subarray(0, left);
    left -= chunk.length;
    if (!res.write(chunk)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

const drained = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });

/** The first `bytes` of `body` under a Content-Length for all of it, then the connection closes. */
function cutOff(body: Buffer, bytes: number, req: Request, res: Response): void {
  res.setHeader("content-length", body.length);
  res.write(body.subarray(0, bytes), () => req.socket.destroy());
}

function sendStatus(status: 429 | 500 | 502 | 503, retryAfter: number, res: Response): void {
  if (status === 429) {
    res.status(429).json({
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfter}`,
      parameters: { retry_after: retryAfter },
    });
  } else if (status === 500) {
    res.status(500).json({ ok: false, error_code: 500, description: "Internal Server Error" });
  } else {
    // The proxy in front of the Bot API answers in HTML, not in Telegram's JSON envelope.
    res.status(status).type("text/html").send(nginxPage(status));
  }
}

const REASONS = { 502: "Bad Gateway", 503: "Service Temporarily Unavailable" } as const;

export function nginxPage(status: 502 | 503): string {
  return proxyPage(status, REASONS[status]);
}

/** nginx's error page for any status, as a proxy in front of the Bot API sends it. */
export function proxyPage(status: number, reason = http.STATUS_CODES[status] ?? "Error"): string {
  const title = `${status} ${reason}`;
  return (
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n` +
    `<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n`
  );
}
