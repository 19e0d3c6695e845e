import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { redactSecrets } from "../redact.ts";
import { escapeHtml } from "./page.ts";
import { RefusalError } from "../errors.ts";

export interface ErrorAnswer {
  status: number;
  message: string;
  field?: string;
}

/** body-parser's error types: a body we could not read is the client's fault, never ours. */
const BODY_ERRORS: Record<string, (e: { limit?: number; message?: string }) => ErrorAnswer> = {
  "entity.too.large": (e) => ({ status: 413, message: `(body): larger than ${Math.round((e.limit ?? 0) / 1024)} KiB`, field: "(body)" }),
  "entity.parse.failed": () => ({ status: 400, message: "(body): not valid JSON", field: "(body)" }),
};

/**
 * What to answer for an error: the HTTP layer's map from errors to statuses. Our refusals
 * (RefusalError) say what they say, with their status and field; errors of the HTTP stack (a URL that
 * is not percent-encoding, a body that cannot be read) become 4xx in our words; anything else is a 500
 * that says nothing of its cause (the cause goes to the log).
 */
export function describeError(err: unknown): ErrorAnswer {
  if (err instanceof RefusalError) return { status: err.status, message: err.message, ...(err.field && { field: err.field }) };
  if (err instanceof URIError) return { status: 400, message: "the URL is not valid percent-encoding (a % must be followed by two hex digits)" };
  const e = (typeof err === "object" && err !== null ? err : {}) as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown; field?: unknown };
  const status = typeof e.status === "number" ? e.status : 500;
  if (status >= 400 && status < 500) {
    if (typeof e.type === "string") {
      const known = BODY_ERRORS[e.type];
      if (known) return known(e as { limit?: number });
      return { status, message: `(body): ${e.expose !== false && typeof e.message === "string" ? e.message : "unreadable"}`, field: "(body)" };
    }
    // Errors of the HTTP stack that carry their own 4xx (http-errors) are meant for the client.
    const message = e.expose !== false && typeof e.message === "string" ? e.message : "bad request";
    return { status, message, ...(typeof e.field === "string" && { field: e.field }) };
  }
  return { status: 500, message: "internal error" };
}

/** The status page (GET /) and whatever a browser asks for as a page get HTML; everything else gets JSON. */
function wantsHtml(req: Request): boolean {
  const page = req.path === "/" && (req.method === "GET" || req.method === "HEAD");
  return page || req.accepts(["json", "html"]) === "html";
}

/** Answers worth a warning: someone without the right token, or guessing it. */
const REFUSED_ACCESS = new Set([401, 403, 429]);

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

function errorPage(answer: ErrorAnswer): string {
  const title = `${answer.status} ${answer.status === 404 ? "Not found" : answer.status < 500 ? "Bad request" : "Server error"}`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>body{font:16px system-ui,sans-serif;margin:2rem}</style></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(answer.message)}</p><p><a href="/">Status page</a></p></body></html>\n`
  );
}

/**
 * The one error handler of the app (mounted last): every route's errors, and the HTTP stack's own,
 * are answered here, so Express's default page (a stack trace with the install path, also printed to
 * stderr) is never reached. One log line per error: 5xx at error level with the cause, refused access
 * (401, 403, 429) at warn, other 4xx at info.
 */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const answer = describeError(err);
    // The path is the client's text: cut and masked before it is logged.
    const request = { method: req.method, path: redactSecrets(req.originalUrl.slice(0, 300)), address: req.ip, status: answer.status };
    if (answer.status >= 500) logger.error({ ...request, err: err instanceof RefusalError && err.cause instanceof Error ? err.cause : err, error: answer.message }, "HTTP request failed");
    else if (REFUSED_ACCESS.has(answer.status)) logger.warn({ ...request, error: answer.message }, "HTTP request refused: access");
    else logger.info({ ...request, error: answer.message }, "HTTP request refused");
    if (res.headersSent) {
      // Half an answer is out: all we can do is end the connection.
      res.destroy();
      return;
    }
    // A bearer challenge unless the refusing part gave its own (basic-auth.ts: the page's Basic one).
    if (answer.status === 401 && !res.get("WWW-Authenticate")) res.set("WWW-Authenticate", 'Bearer realm="secretary-watch"');
    if (wantsHtml(req)) {
      res.status(answer.status).set({ "Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" }).type("html").send(errorPage(answer));
      return;
    }
    res.status(answer.status).json({ error: answer.message, ...(answer.field && { field: answer.field }) });
  };
}
