import { createHmac } from "node:crypto";
import { redactSecrets, registerSecret } from "../../redact.ts";
import { VERSION } from "../../version.ts";
import type { Config } from "../../config/schema.ts";
import { ChannelError } from "../types.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { accepts } from "./routing.ts";

export type WebhookChannelConfig = Extract<Config["alerts"]["channels"][string], { type: "webhook" }>;

export const SIGNATURE_HEADER = "X-Secretary-Signature";
export const TIMESTAMP_HEADER = "X-Secretary-Timestamp";

/**
 * POSTs `{version: 1, ...AlertMessage}` as JSON. With a secret, `X-Secretary-Signature: sha256=<hex>` is
 * the HMAC-SHA256 of the exact body bytes, and `X-Secretary-Timestamp` the Unix seconds of the attempt.
 */
export function createWebhookChannel(name: string, config: WebhookChannelConfig, deps: { timeoutMs: number }): Channel {
  registerSecret(config.secret);
  const target = httpTarget(config.url);
  const label = `webhook channel "${name}"`;
  return {
    name,
    type: "webhook",
    accepts: (message) => accepts(config, message),
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      const body = JSON.stringify({ version: 1, ...message });
      const headers: Record<string, string> = {};
      if (config.secret !== "") {
        // The timestamp is signed with the body (as Stripe and Slack do), so a receiver that rejects
        // old timestamps cannot be fed a captured request again.
        const timestamp = String(Math.floor(Date.now() / 1000));
        headers[TIMESTAMP_HEADER] = timestamp;
        headers[SIGNATURE_HEADER] = `sha256=${createHmac("sha256", config.secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
      }
      await postJson(label, target, body, headers, signal, deps.timeoutMs);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Shared by the HTTP channels (webhook, alertmanager)

export interface HttpTarget {
  /** The URL without credentials (fetch refuses URLs that carry them). */
  url: string;
  /** `Basic …` from credentials in the configured URL. */
  authorization?: string;
}

/** Moves `user:pass@` out of the URL into a Basic Authorization header (and registers the password as a secret). */
export function httpTarget(configured: string, path = ""): HttpTarget {
  const url = new URL(configured);
  let authorization: string | undefined;
  if (url.username !== "" || url.password !== "") {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    registerSecret(pass);
    registerSecret(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  if (path !== "") url.pathname = url.pathname.replace(/\/+$/, "") + path;
  return authorization ? { url: url.toString(), authorization } : { url: url.toString() };
}

/**
 * One POST with a deadline. 2xx: delivered. 429: retry, honouring Retry-After. Other 4xx and redirects:
 * permanent (the request or the URL is wrong). 5xx, network errors, timeouts: retry.
 */
export async function postJson(
  label: string,
  target: HttpTarget,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": `secretary-watch/${VERSION}`,
        ...(target.authorization ? { authorization: target.authorization } : {}),
        ...headers,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.any([signal, timeout]),
    });
  } catch (err) {
    if (signal.aborted) throw new ChannelError(`${label}: cancelled`);
    if (timeout.aborted) throw new ChannelError(`${label}: no answer within ${timeoutMs} ms`);
    throw new ChannelError(`${label}: network error: ${redactSecrets(describeCause(err))}`);
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => {});
    return;
  }
  const detail = await readSnippet(res);
  const what = `${label}: HTTP ${res.status}${detail ? `: ${redactSecrets(detail)}` : ""}`;
  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    throw new ChannelError(what, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get("location");
    throw new ChannelError(`${what} (redirects are not followed${location ? `; configure ${redactSecrets(location)} instead` : ""})`, {
      permanent: true,
    });
  }
  if (res.status >= 400 && res.status < 500) throw new ChannelError(what, { permanent: true });
  throw new ChannelError(what);
}

/** Retry-After in delay-seconds or HTTP-date form, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

async function readSnippet(res: Response): Promise<string> {
  try {
    const text = await res.text();
    return text.replace(/\s+/g, " ").trim().slice(0, 300);
  } catch {
    return "";
  }
}

function describeCause(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
  return String(cause);
}
