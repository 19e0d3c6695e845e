import { GrammyError, HttpError } from "grammy";
import { redactSecrets } from "../redact.ts";
import { NotBotApiAnswer } from "./envelope.ts";

/**
 * One classification of every Bot API failure, made once, here.
 *
 * `refused`: Telegram answered and said no (4xx): a verdict about the bot.
 * `unreachable`: the monitor could not get an answer that says anything about the bot
 * (network error, timeout, 5xx, 429, an answer that is not the Bot API's): the result is
 * `unknown`, never `fail`.
 */
export type FailureKind = "refused" | "unreachable";

/** The bounded `code` label of secretary_telegram_requests_total. */
export type CodeLabel = "200" | "400" | "401" | "404" | "429" | "5xx" | "network" | "timeout";

export class TelegramError extends Error {
  override readonly name = "TelegramError";
  readonly method: string;
  readonly kind: FailureKind;
  readonly code: CodeLabel;
  /** Telegram's description, or what went wrong on the way; never contains a token. */
  readonly description: string;
  /** Seconds Telegram asked us to wait (429). */
  readonly retryAfter: number | undefined;

  constructor(method: string, kind: FailureKind, code: CodeLabel, description: string, retryAfter?: number) {
    super(`${method}: ${description}`);
    this.method = method;
    this.kind = kind;
    this.code = code;
    this.description = description;
    this.retryAfter = retryAfter;
  }

  get unreachable(): boolean {
    return this.kind === "unreachable";
  }

  /** True for a 400 whose description contains `text` (Telegram's error strings are stable). */
  is(text: string): boolean {
    return this.kind === "refused" && this.description.toLowerCase().includes(text.toLowerCase());
  }
}

export function codeLabel(status: number): CodeLabel {
  if (status >= 200 && status < 300) return "200";
  if (status === 401) return "401";
  if (status === 404) return "404";
  if (status === 429) return "429";
  if (status >= 500) return "5xx";
  return "400";
}

/** Turns whatever grammY threw into a TelegramError. `timedOut` says our own deadline fired. */
export function classify(method: string, err: unknown, timedOut: boolean): TelegramError {
  if (err instanceof TelegramError) return err;
  if (err instanceof GrammyError) {
    const status = err.error_code;
    const description = redactSecrets(err.description);
    if (status === 429) {
      const retryAfter = err.parameters.retry_after;
      return new TelegramError(method, "unreachable", "429", description, retryAfter);
    }
    if (status >= 500 || status < 400) return new TelegramError(method, "unreachable", "5xx", description);
    return new TelegramError(method, "refused", codeLabel(status), description);
  }
  const cause = err instanceof HttpError ? err.error : err;
  // Something answered, but not the Bot API (a proxy's page, JSON of another shape): no verdict.
  if (cause instanceof NotBotApiAnswer) return new TelegramError(method, "unreachable", codeLabel(cause.status), redactSecrets(cause.message));
  if (timedOut) return new TelegramError(method, "unreachable", "timeout", "no answer before the timeout");
  const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new TelegramError(method, "unreachable", "network", `network error: ${redactSecrets(detail)}`);
}
