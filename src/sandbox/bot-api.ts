/**
 * The simulated Telegram Bot API: `/bot<token>/<method>` and `/bot<token>/test/<method>`, answering with
 * Telegram's envelopes, codes and descriptions (taken from tdlib/telegram-bot-api) from the World's state.
 * Every call is counted; faults are applied before authorization, as a proxy in front of Telegram would.
 */
import express from "express";
import type { Request, Response, Router } from "express";
import { delay, patchedResult, performFault } from "./faults.ts";
import type { BotState, ConnectionState, PendingUpdate, RightName, World } from "./world.ts";
import { TOKEN_SYNTAX } from "./world.ts";

/** A Telegram error answer. */
class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: number;
  constructor(code: number, description: string) {
    super(description);
    this.code = code;
  }
}
const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);

type Params = Record<string, string>;
type Ctx = { world: World; bot: BotState; params: Params };
type Handler = (ctx: Ctx) => unknown;

const HANDLERS: Record<string, Handler> = {
  getMe,
  getBusinessConnection,
  getWebhookInfo,
  sendChatAction,
  getBusinessAccountStarBalance,
  sendMessage,
  deleteBusinessMessages,
  getUpdates,
};
// Telegram matches method names case-insensitively.
const METHODS = new Map(Object.keys(HANDLERS).map((name) => [name.toLowerCase(), name]));

const PATH = /^\/bot([^/]*)\/(?:(test)\/)?([^/]+)\/?$/;

export function botApiRouter(world: World): Router {
  const router = express.Router();
  // Raw body for every content type: like the real server, anything not form-encoded is read as JSON.
  router.use(express.raw({ type: () => true, limit: "10mb" }));
  router.use(async (req: Request, res: Response) => {
    const m = PATH.exec(req.path);
    if (!m) return void sendError(res, new ApiError(404, "Not Found"));
    const token = safeDecode(m[1] ?? "");
    const environment = m[2] ? "test" : "prod";
    const method = METHODS.get((m[3] ?? "").toLowerCase()) ?? safeDecode(m[3] ?? "");
    const wellFormed = TOKEN_SYNTAX.test(token);
    const bot = wellFormed ? world.findBotByToken(token) : undefined;
    world.recordCall(bot?.username ?? null, method);

    const plan = world.takeFaults(bot?.username ?? null, method);
    await delay(world.latencyMs + plan.latencyMs, res);
    if (res.destroyed || req.socket.destroyed) return;
    if (plan.outcome && plan.outcome.kind !== "patch") return performFault(plan.outcome, req, res);

    try {
      if (!wellFormed) throw new ApiError(404, "Not Found");
      if (!bot || bot.revoked || bot.environment !== environment) throw new ApiError(401, "Unauthorized");
      const handler = HANDLERS[method];
      if (!handler) throw new ApiError(404, "Not Found");
      const result = handler({ world, bot, params: readParams(req) });
      res.json({ ok: true, result: patchedResult(result, plan.outcome) });
    } catch (err) {
      sendError(res, err instanceof ApiError ? err : new ApiError(500, "Internal Server Error"));
    }
  });
  return router;
}

function sendError(res: Response, err: ApiError): void {
  res.status(err.code).json({ ok: false, error_code: err.code, description: err.message });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ---------- parameters ----------

/**
 * Query string, then a form or JSON body; every value becomes a string as on the real server (non-string
 * JSON values keep their JSON text, so message_ids may be an array or its JSON string). A body that fails
 * to parse is ignored, as the real server does. Empty values count as absent.
 */
function readParams(req: Request): Params {
  const params: Params = {};
  const add = (key: string, value: string) => {
    if (value !== "" && !(key in params)) params[key] = value;
  };
  const body = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
  if (body.trim() !== "") {
    if ((req.headers["content-type"] ?? "").toLowerCase().includes("application/x-www-form-urlencoded")) {
      for (const [k, v] of new URLSearchParams(body)) add(k, v);
    } else {
      try {
        const json: unknown = JSON.parse(body);
        if (json && typeof json === "object" && !Array.isArray(json)) {
          for (const [k, v] of Object.entries(json)) {
            if (v !== null && v !== undefined) add(k, typeof v === "string" ? v : JSON.stringify(v));
          }
        }
      } catch {
        // ignored, like telegram-bot-api
      }
    }
  }
  const query = new URL(req.originalUrl, "http://sandbox").searchParams;
  for (const [k, v] of query) {
    if (v !== "") params[k] = v;
  }
  return params;
}

function intParam(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*[-+]?\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

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

function getBusinessConnection(ctx: Ctx) {
  return businessConnectionJson(ctx.world, ownConnection(ctx));
}

function getWebhookInfo({ world, bot }: Ctx) {
  const w = bot.webhook;
  const lastErrorDate = world.lastErrorDate(bot);
  return {
    url: w.url,
    has_custom_certificate: false,
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
    throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
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

/** Connection enabled, right granted, and (with a chat) the chat inside scope with recent inbound. */
function usableConnection(ctx: Ctx, right: RightName, chatId?: number): ConnectionState {
  const c = ownConnection(ctx);
  if (!c.isEnabled) throw badRequest("BUSINESS_CONNECTION_INVALID");
  if (!c.rights[right]) throw badRequest("BOT_ACCESS_FORBIDDEN");
  if (chatId !== undefined) {
    if (c.excludedChats.includes(chatId)) throw badRequest("BUSINESS_PEER_INVALID");
    if (!c.recentInbound.includes(chatId)) throw badRequest("BUSINESS_PEER_USAGE_MISSING");
  }
  return c;
}

/** Business calls take only numeric chat ids (Client.cpp get_business_connection_chat_id). */
function businessChatId(value: string | undefined): number {
  if (value === undefined) throw badRequest("chat identifier is empty");
  const id = intParam(value);
  if (id === undefined) throw badRequest("chat identifier must be a valid Integer");
  return id;
}

/** The sandbox has no @usernames for chats, so anything but an integer is an unknown chat. */
function plainChatId(value: string | undefined): number {
  if (value === undefined) throw badRequest("chat_id is empty");
  const id = intParam(value);
  if (id === undefined) throw badRequest("chat not found");
  return id;
}

function messageIds(value: string | undefined): number[] {
  if (value === undefined) throw badRequest("message identifiers are not specified");
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badRequest("can't parse message_ids JSON object");
  }
  if (!Array.isArray(parsed)) throw badRequest("expected an Array of message identifiers");
  if (parsed.length > 100) throw badRequest("too many message identifiers specified");
  return parsed.map((v) => {
    if (typeof v !== "number" && typeof v !== "string") throw badRequest("message identifier must be a Number");
    const id = intParam(String(v));
    if (id === undefined) throw badRequest("can't parse message identifier as a Number");
    if (id <= 0) throw badRequest("invalid message identifier specified");
    return id;
  });
}

// ---------- text and parse_mode ----------

const MAX_TEXT_LENGTH = 4096;

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
  if (rendered.length > MAX_TEXT_LENGTH) throw badRequest("message is too long");
  return rendered;
}

const HTML_TAGS = new Set([
  "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
]);
const isSpace = (c: string | undefined) => c === undefined || c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v" || c === "\f";

/**
 * Telegram's HTML rules (tdlib parse_html): only the supported tags, properly nested and closed; a bare
 * `<` starts a tag, `&lt; &gt; &amp; &quot;` and numeric entities decode, an unknown `&…` stays literal.
 * Errors carry byte offsets, as Telegram's do.
 */
export function parseHtml(html: string): { text: string } | { error: string } {
  const at = (i: number) => Buffer.byteLength(html.slice(0, i), "utf8");
  const out: string[] = [];
  const open: { tag: string; arg: string }[] = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === "&") {
      const entity = decodeEntity(html, i);
      if (entity) {
        out.push(entity.char);
        i = entity.next;
        continue;
      }
    }
    if (c !== "<") {
      out.push(c);
      i++;
      continue;
    }
    const begin = i++;
    if (html[i] !== "/") {
      while (!isSpace(html[i]) && html[i] !== ">") i++;
      if (i >= html.length) return { error: `Unclosed start tag at byte offset ${at(begin)}` };
      const tag = html.slice(begin + 1, i).toLowerCase();
      if (!HTML_TAGS.has(tag)) return { error: `Unsupported start tag "${tag}" at byte offset ${at(begin)}` };
      let arg = "";
      while (html[i] !== ">") {
        while (i < html.length && isSpace(html[i])) i++;
        if (i >= html.length) return { error: `Unclosed start tag at byte offset ${at(begin)}` };
        if (html[i] === ">") break;
        const nameBegin = i;
        while (!isSpace(html[i]) && html[i] !== "=" && html[i] !== ">") i++;
        const name = html.slice(nameBegin, i).toLowerCase();
        if (name === "") return { error: `Empty attribute name in the tag "${tag}" at byte offset ${at(begin)}` };
        while (i < html.length && isSpace(html[i])) i++;
        if (html[i] !== "=") continue; // a valueless attribute, e.g. <blockquote expandable>
        i++;
        while (i < html.length && isSpace(html[i])) i++;
        if (i >= html.length) return { error: `Unclosed start tag "${tag}" at byte offset ${at(begin)}` };
        let value: string;
        const q = html[i];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, i + 1);
          value = decodeAll(html.slice(i + 1, end === -1 ? html.length : end));
          i = end === -1 ? html.length : end + 1;
        } else {
          const tokenBegin = i;
          while (i < html.length && /[A-Za-z0-9.-]/.test(html[i]!)) i++;
          value = html.slice(tokenBegin, i).toLowerCase();
          if (!isSpace(html[i]) && html[i] !== ">") return { error: `Unexpected end of name token at byte offset ${at(tokenBegin)}` };
        }
        if (i >= html.length) return { error: `Unclosed start tag at byte offset ${at(begin)}` };
        if ((tag === "a" && name === "href") || (tag === "tg-emoji" && name === "emoji-id")) arg = value;
        if (tag === "span" && name === "class") arg = value;
      }
      if (tag === "span" && arg !== "tg-spoiler") return { error: `Tag "span" must have class "tg-spoiler" at byte offset ${at(begin)}` };
      open.push({ tag, arg });
      i++;
    } else {
      if (open.length === 0) return { error: `Unexpected end tag at byte offset ${at(begin)}` };
      while (!isSpace(html[i]) && html[i] !== ">") i++;
      const endTag = html.slice(begin + 2, i).toLowerCase();
      while (i < html.length && isSpace(html[i])) i++;
      if (html[i] !== ">") return { error: `Unclosed end tag at byte offset ${at(begin)}` };
      const top = open[open.length - 1]!;
      if (endTag !== "" && endTag !== top.tag) {
        return { error: `Unmatched end tag at byte offset ${at(begin)}, expected "</${top.tag}>", found "</${endTag}>"` };
      }
      if (top.tag === "tg-emoji" && !/^[1-9]\d*$/.test(top.arg)) return { error: "Invalid custom emoji identifier specified" };
      open.pop();
      i++;
    }
  }
  if (open.length > 0) return { error: `Can't find end tag corresponding to start tag ${open[open.length - 1]!.tag}` };
  return { text: out.join("") };
}

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function decodeEntity(s: string, pos: number): { char: string; next: number } | null {
  const m = /^&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]+));?/.exec(s.slice(pos, pos + 12));
  if (!m) return null;
  let char: string | undefined;
  if (m[1] !== undefined || m[2] !== undefined) {
    const code = m[1] !== undefined ? Number(m[1]) : parseInt(m[2]!, 16);
    if (code === 0 || code >= 0x10ffff) return null;
    char = String.fromCodePoint(code);
  } else {
    char = NAMED_ENTITIES[m[3]!];
  }
  return char === undefined ? null : { char, next: pos + m[0].length };
}

function decodeAll(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const e = s[i] === "&" ? decodeEntity(s, i) : null;
    out += e ? e.char : s[i];
    i = e ? e.next : i + 1;
  }
  return out;
}
