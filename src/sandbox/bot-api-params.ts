/**
 * Reading a Bot API call's parameters as telegram-bot-api does (query, form or JSON, all strings), and
 * the 400s it answers for a bad chat id or message id list. An BotApiError is a Telegram error answer.
 */
import type { Request } from "express";

/** A Telegram error answer: HTTP status = error_code, message = description. */
export class BotApiError extends Error {
  readonly code: number;
  constructor(code: number, description: string) {
    super(description);
    this.name = "BotApiError";
    this.code = code;
  }
}
export const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);

export type Params = Record<string, string>;


/**
 * Query string, then a form or JSON body; every value becomes a string as on the real server (non-string
 * JSON values keep their JSON text, so message_ids may be an array or its JSON string). A body that fails
 * to parse is ignored, as the real server does. Empty values count as absent.
 */
export function readParams(req: Request): Params {
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

export function intParam(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*[-+]?\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Business calls take only numeric chat ids (Client.cpp get_business_connection_chat_id). */
export function businessChatId(value: string | undefined): number {
  if (value === undefined) throw badRequest("chat identifier is empty");
  const id = intParam(value);
  if (id === undefined) throw badRequest("chat identifier must be a valid Integer");
  return id;
}

/** The sandbox has no @usernames for chats, so anything but an integer is an unknown chat. */
export function plainChatId(value: string | undefined): number {
  if (value === undefined) throw badRequest("chat_id is empty");
  const id = intParam(value);
  if (id === undefined) throw badRequest("chat not found");
  return id;
}

export function messageIds(value: string | undefined): number[] {
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
