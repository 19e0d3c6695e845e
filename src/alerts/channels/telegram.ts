import { GrammyError } from "grammy";
import { z } from "zod";
import { redactSecrets, registerSecret } from "../../redact.ts";
import { apiRoot, expected } from "../../config/fields.ts";
import { createApi } from "../../telegram/client.ts";
import { createTransport } from "../../telegram/transport.ts";
import type { ChannelError } from "../types.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelDeps, type ChannelSender } from "./define-channel.ts";
import { statusFailure, transportFailure } from "./http-delivery.ts";
import { renderHtml, truncateHtml } from "./render.ts";

/** grammY types its signal as the abort-controller polyfill's; Node's own works at run time. */
export type GrammySignal = Parameters<ReturnType<typeof createApi>["sendMessage"]>[3];

/** Telegram's limit for one message's text. */
export const TELEGRAM_MAX_TEXT = 4096;

const chatIdError = expected("a chat id such as -1001234567890 or a @channelusername");

const options = z.strictObject({
  botToken: z.string().min(1).describe("Token of the bot that posts the alerts (not a monitored bot)"),
  chatId: z
    .union([z.number().int({ error: chatIdError }), z.string().regex(/^@[A-Za-z0-9_]+$/, { error: chatIdError })], { error: chatIdError })
    .describe("Chat, group or channel that receives the alerts"),
  threadId: z.number().int().nonnegative().default(0).describe("Forum topic; 0 for none"),
  apiRoot: apiRoot.optional().describe("Defaults to telegram.apiRoot"),
});

/**
 * Posts alerts through a dedicated alert bot with sendMessage, parse_mode HTML. Runs grammY over our own
 * keep-alive transport (the same one the checks use) against the channel's apiRoot or telegram.apiRoot.
 */
export const telegramChannel = defineChannel({ type: "telegram", options, create: telegramSender });
export type TelegramChannelConfig = ChannelConfigOf<typeof telegramChannel>;

/** One telegram channel with its routing, outside the registry. */
export function createTelegramChannel(name: string, config: TelegramChannelConfig, deps: ChannelDeps): Channel {
  return routedChannel(name, config, telegramSender(name, config, deps));
}

function telegramSender(name: string, config: z.output<typeof options>, deps: ChannelDeps): ChannelSender {
  registerSecret(config.botToken);
  const transport = createTransport({ maxSockets: 4 });
  const settings = { apiRoot: config.apiRoot ?? deps.telegramApiRoot, environment: deps.telegramEnvironment, timeoutMs: deps.timeoutMs };
  const api = createApi(config.botToken, settings, transport);
  const label = `telegram channel "${name}": sendMessage`;

  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      // A report in its compact form: a few lines per part, within one message.
      const text = truncateHtml(renderHtml(message, "\n", "compact"), TELEGRAM_MAX_TEXT);
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
        if (err instanceof GrammyError) throw telegramRefusal(label, err);
        throw transportFailure(label, err, { timedOut: timeout.aborted, cancelled: signal.aborted, timeoutMs: deps.timeoutMs });
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** Telegram's refusal, classified like any HTTP receiver's answer (its error_code is the HTTP status). */
export function telegramRefusal(label: string, err: GrammyError): ChannelError {
  const code = err.error_code;
  const description = redactSecrets(err.description);
  if (code === 429) {
    const retryAfter = err.parameters.retry_after;
    return statusFailure(`${label}: ${description}`, code, retryAfter !== undefined ? retryAfter * 1000 : undefined);
  }
  const migrated = err.parameters.migrate_to_chat_id;
  const hint = migrated !== undefined ? ` (the group became supergroup ${migrated}: set chatId to it)` : "";
  return statusFailure(`${label}: ${code} ${description}${hint}`, code);
}
