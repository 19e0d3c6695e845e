import { redactSecrets, registerSecret } from "../../redact.ts";
import { VERSION } from "../../version.ts";
import { ChannelError } from "../types.ts";

/**
 * Delivery over HTTP, shared by every channel that talks to a receiver over HTTP (webhook,
 * Alertmanager, the Telegram Bot API): one POST with a deadline, and one classification of what went
 * wrong, so every such channel retries and gives up alike. 429 (honouring Retry-After), 5xx, network
 * errors and timeouts are retried; any other 4xx is permanent: the same request gets the same answer.
 */

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
 * One POST with a deadline. 2xx: delivered. Redirects: permanent (the URL is wrong; following them
 * would send the body and credentials somewhere nobody configured). Any other status: `statusFailure`.
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
    throw transportFailure(label, err, { cancelled: signal.aborted, timedOut: timeout.aborted, timeoutMs });
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => {});
    return;
  }
  const detail = await readSnippet(res);
  const what = `${label}: HTTP ${res.status}${detail ? `: ${redactSecrets(detail)}` : ""}`;
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get("location");
    throw new ChannelError(`${what} (redirects are not followed${location ? `; configure ${redactSecrets(location)} instead` : ""})`, {
      permanent: true,
    });
  }
  throw statusFailure(what, res.status, parseRetryAfter(res.headers.get("retry-after")));
}

/**
 * The failure a receiver's answer `status` means: 429 is retried (after `retryAfterMs` when the
 * receiver said), any other 4xx is permanent, everything else (5xx) is retried.
 */
export function statusFailure(message: string, status: number, retryAfterMs?: number): ChannelError {
  if (status === 429) return new ChannelError(message, retryAfterMs !== undefined ? { retryAfterMs } : {});
  if (status >= 400 && status < 500) return new ChannelError(message, { permanent: true });
  return new ChannelError(message);
}

/** The failure of a request that got no answer (all retried): cancelled by the caller, past its deadline, or a network error. */
export function transportFailure(label: string, err: unknown, state: { cancelled: boolean; timedOut: boolean; timeoutMs: number }): ChannelError {
  if (state.cancelled) return new ChannelError(`${label}: cancelled`);
  if (state.timedOut) return new ChannelError(`${label}: no answer within ${state.timeoutMs} ms`);
  return new ChannelError(`${label}: network error: ${redactSecrets(describeCause(err))}`);
}

/**
 * Retry-After in delay-seconds or HTTP-date form, in milliseconds; undefined when absent or unreadable.
 * Fractional seconds (`1.5`, as Discord's rate limits read) are taken too, rounded up to the millisecond.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
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

/** The errno code (or message) of what failed underneath: fetch wraps it in `cause`, grammY's HttpError in `error`. */
function describeCause(err: unknown): string {
  const inner = err instanceof Error ? ("error" in err ? err.error : err.cause instanceof Error ? err.cause : err) : err;
  if (inner instanceof Error) return (inner as NodeJS.ErrnoException).code ?? inner.message;
  return String(inner);
}
