import { Api, GrammyError } from "grammy";
import { redactSecrets, registerSecret } from "../../redact.ts";
import { createTransport } from "../../telegram/transport.ts";
import type { Config } from "../../config/schema.ts";
import { ChannelError } from "../types.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { renderHtml, truncateHtml } from "./render.ts";
import { accepts } from "./routing.ts";

export type TelegramChannelConfig = Extract<Config["alerts"]["channels"][string], { type: "telegram" }>;

export interface TelegramChannelDeps {
  telegramApiRoot: string;
  telegramEnvironment: "prod" | "test";
  timeoutMs: number;
}

type GrammySignal = Parameters<Api["sendMessage"]>[3];

/** Telegram's limit for one message's text. */
export const TELEGRAM_MAX_TEXT = 4096;

/**
 * Posts alerts through a dedicated alert bot with sendMessage, parse_mode HTML. Runs grammY over our own
 * keep-alive transport (the same one the checks use) against the channel's apiRoot or telegram.apiRoot.
 */
export function createTelegramChannel(name: string, config: TelegramChannelConfig, deps: TelegramChannelDeps): Channel {
  registerSecret(config.botToken);
  const transport = createTransport({ maxSockets: 4 });
  const api = new Api(config.botToken, {
    apiRoot: config.apiRoot ?? deps.telegramApiRoot,
    environment: deps.telegramEnvironment,
    // Our own AbortSignal enforces the deadline; grammY's timer is only a backstop.
    timeoutSeconds: Math.ceil(deps.timeoutMs / 1000) + 5,
    fetch: transport as never,
    sensitiveLogs: false,
  });
  const label = `telegram channel "${name}"`;

  return {
    name,
    type: "telegram",
    accepts: (message) => accepts(config, message),
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      const text = truncateHtml(renderHtml(message), TELEGRAM_MAX_TEXT);
      const timeout = AbortSignal.timeout(deps.timeoutMs);
      const combined = AbortSignal.any([signal, timeout]);
      try {
        await api.sendMessage(
          config.chatId,
          text,
          {
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
            ...(config.threadId !== 0 ? { message_thread_id: config.threadId } : {}),
          },
          // grammY types its signal as the abort-controller polyfill's; Node's own works at run time.
          combined as unknown as GrammySignal,
        );
      } catch (err) {
        throw toChannelError(label, err, { timedOut: timeout.aborted, cancelled: signal.aborted, timeoutMs: deps.timeoutMs });
      }
    },
    async close() {
      transport.close();
    },
  };
}

function toChannelError(label: string, err: unknown, state: { timedOut: boolean; cancelled: boolean; timeoutMs: number }): ChannelError {
  if (err instanceof GrammyError) {
    const code = err.error_code;
    const description = redactSecrets(err.description);
    if (code === 429) {
      const retryAfter = err.parameters.retry_after;
      return new ChannelError(`${label}: sendMessage: ${description}`, retryAfter !== undefined ? { retryAfterMs: retryAfter * 1000 } : {});
    }
    if (code >= 400 && code < 500) {
      const migrated = err.parameters.migrate_to_chat_id;
      const hint = migrated !== undefined ? ` (the group became supergroup ${migrated}: set chatId to it)` : "";
      return new ChannelError(`${label}: sendMessage: ${code} ${description}${hint}`, { permanent: true });
    }
    return new ChannelError(`${label}: sendMessage: ${code} ${description}`);
  }
  if (state.cancelled) return new ChannelError(`${label}: sendMessage: cancelled`);
  if (state.timedOut) return new ChannelError(`${label}: sendMessage: no answer within ${state.timeoutMs} ms`);
  const cause = err instanceof Error && "error" in err ? (err as { error: unknown }).error : err;
  const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new ChannelError(`${label}: sendMessage: network error: ${redactSecrets(detail)}`);
}
