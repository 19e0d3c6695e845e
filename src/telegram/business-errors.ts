import { TelegramError } from "./errors.ts";

/**
 * Telegram's refusals of the Business methods, by name. Telegram's server passes the errors of a
 * business method through as a 400 with the MTProto code as its description ("Bad Request:
 * BOT_ACCESS_FORBIDDEN", although MTProto calls that one a 403), and says "business connection not
 * found" itself when the connection id is not one of the bot's.
 */
export const BUSINESS_ERRORS = {
  /** The connection id is not known as this bot's (never existed, another bot's, or forgotten). */
  notFound: "business connection not found",
  /** The connection id is no longer valid: the profile disconnected the bot or connected it anew. */
  connectionInvalid: "BUSINESS_CONNECTION_INVALID",
  /** The bot may not act through business connections: Business Mode is off in BotFather. */
  connectionNotAllowed: "BUSINESS_CONNECTION_NOT_ALLOWED",
  /** Telegram does not take the bot for a business bot: Business Mode is off in BotFather. */
  businessMissing: "BOT_BUSINESS_MISSING",
  /** The connection does not grant the right this action needs. */
  accessForbidden: "BOT_ACCESS_FORBIDDEN",
  /** The chat is outside the chats the bot may access. */
  peerInvalid: "BUSINESS_PEER_INVALID",
  /** No recent message from that chat to the profile. */
  peerUsageMissing: "BUSINESS_PEER_USAGE_MISSING",
} as const;

export type BusinessErrorName = keyof typeof BUSINESS_ERRORS;

/** Which of Telegram's business refusals `err` is, or undefined (another refusal, or no answer at all). */
export function businessError(err: unknown): BusinessErrorName | undefined {
  if (!(err instanceof TelegramError)) return undefined;
  const names = Object.keys(BUSINESS_ERRORS) as BusinessErrorName[];
  return names.find((name) => err.is(BUSINESS_ERRORS[name]));
}
