/**
 * Bot API objects as they come over the wire, as zod schemas of the fields the checks read, with the
 * types derived from them. Types and optionality follow shared/reference/botapi-spec.json (Bot API
 * 10.1; botapi-10.3-delta.json changes nothing here); fields nobody reads are not checked and, like
 * unknown extra fields, pass through. Declared here rather than taken from @grammyjs/types because that
 * package names a right `can_delete_outgoing_messages` while the server sends `can_delete_sent_messages`
 * (telegram-business-facts.md): we read the wire, and accept both.
 */
import { z } from "zod";
import { RIGHT_ALIASES, RIGHTS } from "./rights.ts";

const integer = z.number().int();

export const wireUser = z.looseObject({
  id: integer,
  username: z.string().optional(),
  can_connect_to_business: z.boolean().optional(),
});
export type WireUser = z.output<typeof wireUser>;

/** BusinessBotRights: every right optional (absent = not granted), under either name. */
export const wireRights = z.looseObject(
  Object.fromEntries([...RIGHTS, ...Object.keys(RIGHT_ALIASES)].map((right) => [right, z.boolean().optional()])) as Record<string, z.ZodOptional<z.ZodBoolean>>,
);
export type WireRights = Partial<Record<string, boolean>>;

export const wireBusinessConnection = z.looseObject({
  id: z.string(),
  user: wireUser,
  rights: wireRights.optional(),
  /** Deprecated since Bot API 9.0, still sent: mirrors rights.can_reply. */
  can_reply: z.boolean().optional(),
  is_enabled: z.boolean(),
});
export type WireBusinessConnection = z.output<typeof wireBusinessConnection>;

export const wireWebhookInfo = z.looseObject({
  url: z.string(),
  has_custom_certificate: z.boolean().optional(),
  pending_update_count: integer,
  /** The address Telegram resolved the webhook's host to, and delivers to. */
  ip_address: z.string().optional(),
  last_error_date: integer.optional(),
  last_error_message: z.string().optional(),
  allowed_updates: z.array(z.string()).optional(),
});
export type WireWebhookInfo = z.output<typeof wireWebhookInfo>;

export const wireStarAmount = z.looseObject({
  amount: integer,
  nanostar_amount: integer.optional(),
});
export type WireStarAmount = z.output<typeof wireStarAmount>;

/** Message, as far as the live test reads it. */
export const wireMessage = z.looseObject({ message_id: integer });
export type WireMessage = z.output<typeof wireMessage>;

/** The Bot API's `True`: methods that only confirm answer exactly `true`. */
export const wireTrue = z.literal(true);
