import { Api, GrammyError, type ApiClientOptions } from "grammy";
import { redactStrings } from "../redact.ts";
import { NotBotApiAnswer } from "./envelope.ts";
import { classify, codeLabel, TelegramError, type CodeLabel } from "./errors.ts";
import { resultProblem } from "./results.ts";
import { RequestTimeout, type Transport } from "./transport.ts";

/** The longest pause a 429 from Telegram imposes on a bot (s): retry_after beyond it is not believed. */
const MAX_RETRY_AFTER_S = 3600;

export interface TelegramSettings {
  /** Bot API root without trailing slash, e.g. https://api.telegram.org or the sandbox. */
  apiRoot: string;
  environment: "prod" | "test";
  /** Per-call deadline. grammY's own default (500 s) would let one hung bot hold a worker for minutes. */
  timeoutMs: number;
}

/** The client settings a config asks for. */
export function telegramSettings(config: { telegram: { apiRoot: string; environment: "prod" | "test"; timeout: number } }): TelegramSettings {
  return { apiRoot: config.telegram.apiRoot, environment: config.telegram.environment, timeoutMs: config.telegram.timeout };
}

/**
 * The grammY `Api` for one token on our transport: the one place its options are set, for the checks'
 * BotClient and the telegram alert channel alike.
 */
export function createApi(token: string, settings: TelegramSettings, transport: Transport): Api {
  return new Api(token, {
    apiRoot: settings.apiRoot,
    environment: settings.environment,
    // Our own AbortSignal enforces the deadline; grammY's timer is only a backstop.
    timeoutSeconds: Math.ceil(settings.timeoutMs / 1000) + 5,
    // grammY types `fetch` as node-fetch's; it only calls it with a URL and a JSON init and reads
    // `status` and `json()`, which is what Transport takes and gives (transport.ts).
    fetch: transport as unknown as NonNullable<ApiClientOptions["fetch"]>,
    sensitiveLogs: false,
  });
}

/** Receives one observation per Bot API call; the metrics module implements it. */
export type RequestObserver = (method: string, code: CodeLabel, seconds: number) => void;

/**
 * One bot's connection to the Bot API: a JSON POST on the shared transport per call, timed and counted,
 * with a per-call deadline and the 429 back-off Telegram asked for (calls during it are refused locally
 * as `unknown` instead of hammering Telegram).
 *
 * Not through grammY's `Api`, which the alert channel keeps (createApi): on the checks' path its call
 * (a polyfilled AbortController, a second timer, a race of three promises, option objects spread per
 * call, a Proxy) cost 40 µs of CPU per request over the transport's 68, two thirds of the floor's 60
 * (`node bench/client-path.ts`), for an envelope we read ourselves. What it gives stays: its
 * GrammyError for Telegram's refusals (classify reads them), its URL layout (`/bot<token>/test/<method>`
 * in the test environment), its payload as JSON.
 */
export class BotClient {
  /** `<apiRoot>/bot<token>/` (and `test/` in the test environment): the method is appended. */
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly observe: RequestObserver;
  /** performance.now() until which calls are refused (a 429 asked to wait). */
  private retryUntil = 0;

  constructor(token: string, settings: TelegramSettings, transport: Transport, observe: RequestObserver) {
    this.base = `${settings.apiRoot}/bot${token}/${settings.environment === "test" ? "test/" : ""}`;
    this.timeoutMs = settings.timeoutMs;
    this.transport = transport;
    this.observe = observe;
  }

  /**
   * Calls a Bot API method with the deadline; throws a classified TelegramError. The boundary for
   * what Telegram says: only an answer of the Bot API's shape (envelope.ts) with a result of the
   * method's type (results.ts) is returned, and every text in it is redacted (a webhook URL or error
   * can hold the token), so nothing downstream reads or stores an unchecked answer. `cancel` ends the
   * call early (the sweep's signal).
   */
  async call<T>(method: string, payload: Record<string, unknown> = {}, cancel?: AbortSignal): Promise<T> {
    const started = performance.now();
    if (started < this.retryUntil) {
      const wait = Math.ceil((this.retryUntil - started) / 1000);
      throw new TelegramError(method, "unreachable", "429", `Telegram asked to retry after a pause; ${wait} s left`, wait);
    }
    if (cancel?.aborted) throw cancelled(method);
    let code: CodeLabel = "network";
    try {
      const envelope = await this.transport.post(this.base + method, JSON.stringify(payload), this.timeoutMs, cancel);
      code = envelope.ok ? "200" : codeLabel(envelope.error_code);
      // grammY's own refusal, as its Api would throw it (`parameters` is read where it is used: classify).
      if (!envelope.ok) throw new GrammyError(`Call to '${method}' failed!`, envelope as ConstructorParameters<typeof GrammyError>[1], method, payload);
      const problem = resultProblem(method, envelope.result);
      if (problem !== undefined) throw new TelegramError(method, "unreachable", "200", problem);
      return redactStrings(envelope.result) as T;
    } catch (err) {
      // An answer of the wrong shape did come back: it is counted under its HTTP status.
      if (err instanceof NotBotApiAnswer) code = codeLabel(err.status);
      // A cancelled call counts as a timeout, as a call cut off by its deadline: no answer came.
      else if (err instanceof RequestTimeout || cancel?.aborted) code = "timeout";
      if (cancel?.aborted) throw cancelled(method);
      const error = classify(method, err, err instanceof RequestTimeout);
      // Monotonic, so a clock step neither stretches nor skips the pause; an absurd retry_after waits an hour.
      if (error.code === "429") this.retryUntil = performance.now() + Math.min(MAX_RETRY_AFTER_S, error.retryAfter ?? 1) * 1000;
      throw error;
    } finally {
      this.observe(method, code, (performance.now() - started) / 1000);
    }
  }
}

/** A call its caller cancelled: nothing is known about the bot, as after a timeout. */
const cancelled = (method: string) => new TelegramError(method, "unreachable", "timeout", "cancelled: the monitor is stopping");
