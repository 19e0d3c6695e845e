/**
 * The Bot API methods the sandbox answers, from the World's state, with Telegram's field order, codes
 * and descriptions (taken from tdlib/telegram-bot-api). A method gets the bot the token named and the
 * call's parameters; it returns the result or throws the BotApiError Telegram would answer.
 */
import type { World } from "./world.ts";
import { BotApiError, badRequest, businessChatId, intParam, messageIds, plainChatId } from "./bot-api-params.ts";
import type { Params } from "./bot-api-params.ts";
import { parseHtml } from "./telegram-html.ts";
import { MAX_MESSAGE_LENGTH } from "./world-schema.ts";
import type { PendingUpdate, RightName } from "./world-schema.ts";
import type { BotState, ConnectionState } from "./world-state.ts";

type Ctx = { world: World; bot: BotState; params: Params };
type Handler = (ctx: Ctx) => unknown;

export const HANDLERS: Record<string, Handler> = {
  getMe,
  getBusinessConnection,
  getWebhookInfo,
  sendChatAction,
  getBusinessAccountStarBalance,
  sendMessage,
  deleteBusinessMessages,
  getUpdates,
};

// ---------- wire objects ----------

function botUser(bot: BotState) {
  return { id: bot.id, is_bot: true, first_name: bot.firstName, username: bot.username };
}

function humanUser(world: World, id: number) {
  const u = world.findUser(id);
  return {
    id,
    is_bot: false,
    first_name: u?.firstName ?? "",
    ...(u?.lastName ? { last_name: u.lastName } : {}),
    ...(u?.username ? { username: u.username } : {}),
  };
}

/** Field order and the deprecated top-level can_reply as Client.cpp writes them; no rights when disabled. */
function businessConnectionJson(world: World, c: ConnectionState) {
  return {
    id: c.id,
    user: humanUser(world, c.userId),
    user_chat_id: c.userId,
    date: c.date,
    is_enabled: c.isEnabled,
    can_reply: c.isEnabled ? (c.rights.can_reply ?? false) : false,
    ...(c.isEnabled ? { rights: { ...c.rights } } : {}),
  };
}

// ---------- methods ----------

function getMe({ bot }: Ctx) {
  return {
    ...botUser(bot),
    can_join_groups: bot.canJoinGroups,
    can_read_all_group_messages: bot.canReadAllGroupMessages,
    supports_inline_queries: bot.supportsInlineQueries,
    can_connect_to_business: bot.canConnectToBusiness,
    has_main_web_app: bot.hasMainWebApp,
  };
}

/** With Business Mode off, Telegram no longer takes the bot for a business bot (whatever getMe's cache says). */
function getBusinessConnection(ctx: Ctx) {
  if (!ctx.bot.canConnectToBusiness) throw badRequest("BOT_BUSINESS_MISSING");
  return businessConnectionJson(ctx.world, ownConnection(ctx));
}

function getWebhookInfo({ world, bot }: Ctx) {
  const w = bot.webhook;
  const lastErrorDate = world.lastErrorDate(bot);
  return {
    url: w.url,
    has_custom_certificate: w.hasCustomCertificate,
    // Undelivered updates the world queued for a polling bot count as pending too.
    pending_update_count: w.pendingUpdateCount + bot.pendingUpdates.length,
    ...(lastErrorDate !== null ? { last_error_date: lastErrorDate, last_error_message: w.lastErrorMessage ?? "" } : {}),
    ...(w.maxConnections !== null ? { max_connections: w.maxConnections } : {}),
    // The real server reports an address whenever a webhook is set.
    ...(w.url !== "" ? { ip_address: w.ipAddress ?? "<unknown>" } : {}),
    ...(w.allowedUpdates !== null ? { allowed_updates: w.allowedUpdates } : {}),
  };
}

const CHAT_ACTIONS = new Set([
  "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
  "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
]);

function sendChatAction(ctx: Ctx) {
  if (!CHAT_ACTIONS.has(ctx.params.action ?? "")) throw badRequest("wrong parameter action in request");
  if (ctx.params.business_connection_id !== undefined) {
    const chatId = businessChatId(ctx.params.chat_id);
    usableConnection(ctx, "can_reply", chatId);
  } else {
    plainChatId(ctx.params.chat_id);
  }
  return true;
}

function getBusinessAccountStarBalance(ctx: Ctx) {
  usableConnection(ctx, "can_view_gifts_and_stars");
  return { amount: ctx.bot.starBalance, nanostar_amount: 0 };
}

function sendMessage(ctx: Ctx) {
  const { world, bot, params } = ctx;
  const text = params.text ?? "";
  if (text === "") throw badRequest("message text is empty");
  const parseMode = params.parse_mode ?? null;
  const renderedText = renderText(text, parseMode);
  const threadId = intParam(params.message_thread_id) ?? null;

  const connectionId = params.business_connection_id ?? null;
  let chatId: number;
  let connection: ConnectionState | null = null;
  if (connectionId !== null) {
    chatId = businessChatId(params.chat_id);
    connection = usableConnection(ctx, "can_reply", chatId);
  } else {
    chatId = plainChatId(params.chat_id);
  }
  const sent = world.recordMessage({
    bot: bot.username,
    chatId,
    text,
    renderedText,
    parseMode,
    messageThreadId: threadId,
    businessConnectionId: connectionId,
    // The user receives it from the profile owner; its id is the one in the owner's chat.
    ...(connection ? { messageId: world.deliverBusinessMessage(connection, chatId, renderedText) } : {}),
  });
  const chat =
    chatId > 0
      ? { id: chatId, type: "private", ...(world.findUser(chatId) ? { first_name: world.findUser(chatId)!.firstName } : {}) }
      : { id: chatId, type: "supergroup", title: "Sandbox group" };
  return {
    message_id: sent.messageId,
    // A business message comes from the profile owner; the bot shows up as sender_business_bot.
    from: connection ? humanUser(world, connection.userId) : botUser(bot),
    ...(connection ? { sender_business_bot: botUser(bot), business_connection_id: connection.id } : {}),
    chat,
    date: sent.date,
    ...(threadId !== null ? { message_thread_id: threadId } : {}),
    text: renderedText,
  };
}

function deleteBusinessMessages(ctx: Ctx) {
  const ids = messageIds(ctx.params.message_ids);
  const connection = usableConnection(ctx, "can_delete_sent_messages");
  ctx.world.deleteMessages(ctx.bot.username, connection.id, ids);
  return true;
}

/** Counted like every call: a monitor must never take a customer bot's updates. */
function getUpdates({ world, bot }: Ctx) {
  if (bot.webhook.url !== "") {
    throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
  }
  return world.takeUpdates(bot).map(({ updateId, update }) => ({ update_id: updateId, ...renderUpdate(world, update) }));
}

function renderUpdate(world: World, update: PendingUpdate): Record<string, unknown> {
  if (typeof update.businessConnection !== "string") return update;
  const found = world.findConnection(update.businessConnection);
  return found ? { business_connection: businessConnectionJson(world, found.connection) } : {};
}

// ---------- shared checks ----------

/** The bot's own connection; Telegram says "not found" for a missing id and for another bot's. */
function ownConnection({ world, bot, params }: Ctx): ConnectionState {
  const found = params.business_connection_id ? world.findConnection(params.business_connection_id) : undefined;
  if (!found || found.bot !== bot) throw badRequest("business connection not found");
  return found.connection;
}

/**
 * Business Mode on, connection enabled, right granted, and (with a chat) the chat inside scope with
 * recent inbound: Telegram's refusals of a call through a connection, in the order it checks them.
 */
function usableConnection(ctx: Ctx, right: RightName, chatId?: number): ConnectionState {
  const c = ownConnection(ctx);
  if (!ctx.bot.canConnectToBusiness) throw badRequest("BUSINESS_CONNECTION_NOT_ALLOWED");
  if (!c.isEnabled) throw badRequest("BUSINESS_CONNECTION_INVALID");
  if (!c.rights[right]) throw badRequest("BOT_ACCESS_FORBIDDEN");
  if (chatId !== undefined) {
    if (c.excludedChats.includes(chatId)) throw badRequest("BUSINESS_PEER_INVALID");
    if (!c.recentInbound.includes(chatId)) throw badRequest("BUSINESS_PEER_USAGE_MISSING");
  }
  return c;
}

/** What the recipient would see, or the 400 Telegram gives for this text and parse_mode. */
function renderText(text: string, parseMode: string | null): string {
  const mode = (parseMode ?? "").toLowerCase();
  let rendered = text;
  if (mode === "html") {
    const parsed = parseHtml(text);
    if ("error" in parsed) throw badRequest(`can't parse entities: ${parsed.error}`);
    rendered = parsed.text;
  } else if (mode !== "" && mode !== "none" && mode !== "markdown" && mode !== "markdownv2") {
    throw badRequest("unsupported parse_mode");
  }
  if (rendered.trim() === "") throw badRequest("message text is empty");
  if (rendered.length > MAX_MESSAGE_LENGTH) throw badRequest("message is too long");
  return rendered;
}
