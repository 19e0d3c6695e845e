import { Api, HttpError, type ApiClientOptions } from "grammy";
import { redactStrings } from "../redact.ts";
import { NotBotApiAnswer } from "./envelope.ts";
import { classify, codeLabel, TelegramError, type CodeLabel } from "./errors.ts";
import { resultProblem } from "./results.ts";
import type { Transport } from "./transport.ts";
import { armTimer } from "../clock.ts";

type RawMethod = (...args: unknown[]) => Promise<unknown>;
const ZERO_PARAMETER_METHODS = new Set(["getMe", "getWebhookInfo"]);
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
 * One bot's connection to the Bot API: a grammY `Api` on the shared transport, with a transformer
 * that times and counts every call, a per-call deadline, and the 429 back-off Telegram asked for
 * (calls during it are refused locally as `unknown` instead of hammering Telegram).
 *
 * The `Api` is made for each call rather than kept: it costs 1.5 µs to make and 1.4 KB to keep,
 * which for a 10,000-bot fleet is 14 MB of heap held between sweeps for nothing. What must outlive a
 * call (the back-off) lives here.
 */
export class BotClient {
  private readonly token: string;
  private readonly settings: TelegramSettings;
  private readonly transport: Transport;
  private readonly observe: RequestObserver;
  /** performance.now() until which calls are refused (a 429 asked to wait). */
  private retryUntil = 0;

  constructor(token: string, settings: TelegramSettings, transport: Transport, observe: RequestObserver) {
    this.token = token;
    this.settings = settings;
    this.transport = transport;
    this.observe = observe;
  }

  private api(): Api {
    const api = createApi(this.token, this.settings, this.transport);
    const observe = this.observe;
    api.config.use(async (prev, method, payload, signal) => {
      const started = performance.now();
      let code: CodeLabel = "network";
      try {
        const res = await prev(method, payload, signal);
        code = res.ok ? "200" : codeLabel(res.error_code);
        return res;
      } catch (err) {
        // An answer of the wrong shape did come back: it is counted under its HTTP status.
        const stray = err instanceof HttpError && err.error instanceof NotBotApiAnswer ? err.error : undefined;
        code = stray ? codeLabel(stray.status) : signal?.aborted ? "timeout" : "network";
        throw err;
      } finally {
        observe(method, code, (performance.now() - started) / 1000);
      }
    });
    return api;
  }

  /**
   * Calls a Bot API method with the deadline; throws a classified TelegramError. The boundary for
   * what Telegram says: only an answer of the Bot API's shape (envelope.ts) with a result of the
   * method's type (results.ts) is returned, and every text in it is redacted (a webhook URL or error
   * can hold the token), so nothing downstream reads or stores an unchecked answer. `cancel` ends the
   * call early (the sweep's signal).
   */
  async call<T>(method: string, payload: Record<string, unknown> = {}, cancel?: AbortSignal): Promise<T> {
    const now = performance.now();
    if (now < this.retryUntil) {
      const wait = Math.ceil((this.retryUntil - now) / 1000);
      throw new TelegramError(method, "unreachable", "429", `Telegram asked to retry after a pause; ${wait} s left`, wait);
    }
    if (cancel?.aborted) throw cancelled(method);
    // Not AbortSignal.timeout: its timer outlives the call and, when it fires 10 s later, aborts a
    // finished call's signal all the same (an exception with a stack trace per Bot API call).
    const controller = new AbortController();
    const deadline = armTimer(() => controller.abort(), this.settings.timeoutMs);
    const signal = controller.signal;
    // The caller's signal (the sweep's) ends the call too: a stopping service cancels, not abandons.
    const onCancel = () => controller.abort();
    cancel?.addEventListener("abort", onCancel, { once: true });
    try {
      const fn = (this.api().raw as unknown as Record<string, RawMethod>)[method]!;
      // grammY binds an empty payload to zero-parameter methods: those take the signal first.
      const result: unknown = await (ZERO_PARAMETER_METHODS.has(method) ? fn(signal) : fn(payload, signal));
      const problem = resultProblem(method, result);
      if (problem !== undefined) throw new TelegramError(method, "unreachable", "200", problem);
      return redactStrings(result) as T;
    } catch (err) {
      if (cancel?.aborted) throw cancelled(method);
      const error = classify(method, err, signal.aborted);
      // Monotonic, so a clock step neither stretches nor skips the pause; an absurd retry_after waits an hour.
      if (error.code === "429") this.retryUntil = performance.now() + Math.min(MAX_RETRY_AFTER_S, error.retryAfter ?? 1) * 1000;
      throw error;
    } finally {
      clearTimeout(deadline);
      cancel?.removeEventListener("abort", onCancel);
    }
  }
}

/** A call its caller cancelled: nothing is known about the bot, as after a timeout. */
const cancelled = (method: string) => new TelegramError(method, "unreachable", "timeout", "cancelled: the monitor is stopping");
