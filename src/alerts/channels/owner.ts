import { GrammyError } from "grammy";
import { z } from "zod";
import { createApi } from "../../telegram/client.ts";
import { createTransport } from "../../telegram/transport.ts";
import { ChannelError, type AlertMessage } from "../types.ts";
import { defineChannel, type ChannelDeps, type ChannelSender, type WatchedBot } from "./define-channel.ts";
import { transportFailure } from "./http-delivery.ts";
import { escapeHtml } from "./render.ts";
import { telegramRefusal, type GrammySignal } from "./telegram.ts";

/**
 * The bot itself tells its profile owner what they must fix in Telegram: sendMessage with the bot's own
 * token to `user_chat_id` of its business connection (the bot's private chat with the owner), read from
 * getBusinessConnection at send time, so the outbox holds neither a token nor a chat that may have
 * changed. It takes only the owner messages the alert engine makes (owner-notices.ts): one per problem
 * the owner can fix, in their words, never an operator's alert.
 */
export const ownerChannel = defineChannel({ type: "owner", audience: "owner", options: z.strictObject({}), create: ownerSender });

function ownerSender(name: string, _options: unknown, deps: ChannelDeps): ChannelSender {
  const transport = createTransport({ maxSockets: 4 });
  const settings = { apiRoot: deps.telegramApiRoot, environment: deps.telegramEnvironment, timeoutMs: deps.timeoutMs };
  const label = `owner channel "${name}"`;
  const refuse = (why: string) => new ChannelError(`${label}: ${why}`, { permanent: true });

  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      if (!message.owner || !message.bot)
        throw refuse("it writes only to a bot's profile owner, about what they must fix; it has no test message to send");
      const bot = deps.bots?.(message.bot.name);
      if (!bot) throw refuse(`bot ${message.bot.name} is no longer watched`);
      const timeout = AbortSignal.timeout(deps.timeoutMs);
      const combined = AbortSignal.any([signal, timeout]) as unknown as GrammySignal;
      const api = createApi(bot.token, settings, transport);
      let method = "getMe";
      try {
        await sameBot(api, bot, combined, refuse);
        method = "getBusinessConnection";
        const chatId = await ownerChat(api, bot, combined, refuse);
        method = "sendMessage";
        await api.sendMessage(chatId, ownerHtml(message), { parse_mode: "HTML", link_preview_options: { is_disabled: true } }, combined);
      } catch (err) {
        if (err instanceof ChannelError) throw err;
        if (err instanceof GrammyError) throw telegramRefusal(`${label}: ${method}`, err);
        throw transportFailure(`${label}: ${method}`, err, { timedOut: timeout.aborted, cancelled: signal.aborted, timeoutMs: deps.timeoutMs });
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** The token is still this bot's: a token of another bot must not write to anyone as if it were this one. */
async function sameBot(api: ReturnType<typeof createApi>, bot: WatchedBot, signal: GrammySignal, refuse: (why: string) => ChannelError): Promise<void> {
  const me = (await api.getMe(signal)) as { id?: unknown; username?: unknown };
  if (typeof me.id !== "number" || typeof me.username !== "string") throw new ChannelError("getMe: the answer has no id and username, not a Bot API answer");
  const username = bot.username.replace(/^@/, "").toLowerCase();
  if (me.username.toLowerCase() !== username || (bot.botId !== undefined && bot.botId !== 0 && me.id !== bot.botId))
    throw refuse(`bot ${bot.name}'s token is not @${username}'s: not writing as another bot`);
}

/**
 * The bot's private chat with its owner: `user_chat_id` of the connection, only while the connection is
 * the configured owner's (a bot attached to another profile must not write to that stranger).
 */
async function ownerChat(api: ReturnType<typeof createApi>, bot: WatchedBot, signal: GrammySignal, refuse: (why: string) => ChannelError): Promise<number> {
  if (!bot.businessConnectionId) throw refuse(`bot ${bot.name} has no business connection id: there is no owner's chat to write to`);
  const connection: unknown = await api.getBusinessConnection(bot.businessConnectionId, signal);
  const { user, user_chat_id: chatId } = (connection ?? {}) as { user?: { id?: unknown }; user_chat_id?: unknown };
  // An answer of another shape says nothing: retried, like any receiver's unreadable answer.
  if (typeof chatId !== "number" || typeof user?.id !== "number")
    throw new ChannelError("getBusinessConnection: the answer has no user_chat_id and user.id, not a Bot API answer");
  if (user.id !== bot.ownerId) throw refuse(`bot ${bot.name} is attached to another profile than owner.id: not writing to it`);
  return chatId;
}

/** The owner's message: what is wrong and what to do, or the note that it is fixed. Only b, as Telegram's HTML takes it. */
export function ownerHtml(message: AlertMessage): string {
  const fix = message.owner!;
  switch (message.kind) {
    case "resolved":
      return `✅ ${escapeHtml(fix.fixed)}`;
    case "reminder":
      return `⏰ <b>Still to fix:</b> ${escapeHtml(fix.issue)}\n\n${escapeHtml(fix.fix)}`;
    default:
      return `⚠️ <b>${escapeHtml(fix.issue)}</b>\n\n${escapeHtml(fix.fix)}`;
  }
}
