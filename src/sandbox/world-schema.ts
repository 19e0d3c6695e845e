/**
 * The schema of a sandbox world (a world file, or a control API body): users, bots with their webhook,
 * Secretary backend and business connections, and faults. Only shapes and cross-field rules live here;
 * world-load.ts turns a refusal into a message, world.ts holds the state built from a valid spec.
 */
import { z } from "zod";
import { faultSchema } from "./faults.ts";
import { RIGHTS } from "../telegram/rights.ts";

/** Business bot rights by their wire names: the same list the monitor reads (src/telegram/rights.ts). */
export const RIGHT_NAMES = RIGHTS;
export type RightName = (typeof RIGHT_NAMES)[number];
export type Rights = Partial<Record<RightName, true>>;

export const TOKEN_SYNTAX = /^\d+:[A-Za-z0-9_-]+$/;
// The shape of a real BotFather token; a sandbox world must never hold one.
const REAL_TOKEN_SHAPE = /^\d{8,10}:AA[A-Za-z0-9_-]{33}$/;

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const chatIds = z.array(z.number().int());
const rightsInput = z.partialRecord(z.enum(RIGHT_NAMES), z.boolean());

const userSchema = z
  .object({ id: posInt, firstName: z.string().min(1), lastName: z.string().min(1).optional(), username: z.string().min(1).optional() })
  .strict();

const webhookFields = {
  /** "" = the bot polls with getUpdates. */
  url: z.string().refine((u) => u === "" || u.startsWith("https://"), 'must be "" (polling) or an https:// URL'),
  pendingUpdateCount: nonNegInt,
  /** Converted to an absolute lastErrorDate when loaded (or patched). */
  lastErrorSecondsAgo: nonNegInt.nullable(),
  /** Unix seconds. */
  lastErrorDate: posInt.nullable(),
  lastErrorMessage: z.string().min(1).nullable(),
  /** Delivery keeps failing: a new error every N seconds after lastErrorDate (keeps a long-running demo broken). */
  errorEverySeconds: posInt.nullable(),
  allowedUpdates: z.array(z.string().min(1)).nullable(),
  maxConnections: z.number().int().min(1).max(100).nullable(),
  ipAddress: z.string().min(1).nullable(),
  /**
   * Whether the bot uploaded its certificate with setWebhook. The sandbox's endpoint certificates are its
   * own (no public authority signs them): true by default, so that they are taken as Telegram would.
   */
  hasCustomCertificate: z.boolean(),
  /** Days from when the endpoint first presents it to when its certificate expires (negative: expired). */
  certificateExpiresInDays: z.number().int().min(-3650).max(3650),
  /** The names the endpoint's certificate is for; null: the webhook URL's host. */
  certificateNames: z.array(z.string().min(1)).min(1).nullable(),
};
const webhookPatchSchema = z.object(webhookFields).partial().strict();
export const webhookSchema = z
  .object({
    url: webhookFields.url.default(""),
    pendingUpdateCount: webhookFields.pendingUpdateCount.default(0),
    lastErrorSecondsAgo: webhookFields.lastErrorSecondsAgo.default(null),
    lastErrorDate: webhookFields.lastErrorDate.default(null),
    lastErrorMessage: webhookFields.lastErrorMessage.default(null),
    errorEverySeconds: webhookFields.errorEverySeconds.default(null),
    allowedUpdates: webhookFields.allowedUpdates.default(null),
    maxConnections: webhookFields.maxConnections.default(null),
    ipAddress: webhookFields.ipAddress.default(null),
    hasCustomCertificate: webhookFields.hasCustomCertificate.default(true),
    certificateExpiresInDays: webhookFields.certificateExpiresInDays.default(90),
    certificateNames: webhookFields.certificateNames.default(null),
  })
  .strict();

const connectionFields = {
  id: z.string().min(1),
  /** The Telegram Business profile (user id) the bot is attached to. */
  userId: posInt,
  date: posInt,
  isEnabled: z.boolean(),
  rights: rightsInput,
  /** User ids outside the bot's chat accessibility scope. */
  excludedChats: chatIds,
  /** User ids that wrote to the profile recently (others → BUSINESS_PEER_USAGE_MISSING). */
  recentInbound: chatIds,
};
export const connectionSchema = z
  .object({
    id: connectionFields.id,
    userId: connectionFields.userId,
    date: connectionFields.date.optional(),
    isEnabled: connectionFields.isEnabled.default(true),
    rights: connectionFields.rights.default({}),
    excludedChats: connectionFields.excludedChats.default([]),
    recentInbound: connectionFields.recentInbound.default([]),
  })
  .strict();
export const connectionPatchSchema = z.object(connectionFields).omit({ id: true }).partial().strict();

export const DEFAULT_BACKEND_TEXT = "Thanks for your message! We'll get back to you soon.";
/** Longest text a private message may have (as in Telegram). */
export const MAX_MESSAGE_LENGTH = 4096;

/** The bot's simulated Secretary backend: how it answers a message written to the profile it serves. */
const backendFields = {
  /** false = a silent backend: every API check passes, but no answer ever comes. */
  replies: z.boolean(),
  delayMs: z.number().int().nonnegative().max(600_000),
  text: z.string().min(1).max(MAX_MESSAGE_LENGTH),
};
const backendSchema = z
  .object({
    replies: backendFields.replies.default(true),
    delayMs: backendFields.delayMs.default(300),
    text: backendFields.text.default(DEFAULT_BACKEND_TEXT),
  })
  .strict();

/** A pending update: a raw Telegram Update, or `{businessConnection: id}` rendered from the world when read. */
const updateSchema = z.union([
  z.object({ businessConnection: z.string().min(1) }).strict(),
  z.record(z.string(), z.unknown()),
]);

/** Updates arriving for a bot (control API): they wait in its queue until a getUpdates takes them. */
export const queuedUpdatesSchema = z.object({ updates: z.array(updateSchema).min(1) }).strict();

const botFields = {
  username: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "letters, digits and _ only"),
  firstName: z.string().min(1),
  environment: z.enum(["prod", "test"]),
  canConnectToBusiness: z.boolean(),
  revoked: z.boolean(),
  starBalance: nonNegInt,
};
export const botSchema = z
  .object({
    token: z.string(),
    /** Defaults to the token's numeric prefix, and must equal it. */
    id: posInt.optional(),
    username: botFields.username,
    firstName: botFields.firstName,
    environment: botFields.environment.default("prod"),
    canConnectToBusiness: botFields.canConnectToBusiness.default(true),
    revoked: botFields.revoked.default(false),
    canJoinGroups: z.boolean().default(true),
    canReadAllGroupMessages: z.boolean().default(false),
    supportsInlineQueries: z.boolean().default(false),
    hasMainWebApp: z.boolean().default(false),
    webhook: webhookSchema.prefault({}),
    starBalance: botFields.starBalance.default(0),
    backend: backendSchema.prefault({}),
    connections: z.array(connectionSchema).default([]),
    pendingUpdates: z.array(updateSchema).default([]),
  })
  .strict()
  .superRefine((bot, ctx) => {
    if (!TOKEN_SYNTAX.test(bot.token)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: "must look like <digits>:<letters, digits, _ or ->" });
      return;
    }
    if (REAL_TOKEN_SHAPE.test(bot.token)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: "has the shape of a real BotFather token; use a fake one" });
    }
    if (bot.id !== undefined && String(bot.id) !== bot.token.split(":")[0]) {
      ctx.addIssue({ code: "custom", path: ["id"], message: "must equal the token's numeric prefix" });
    }
    for (const p of webhookProblems(bot.webhook)) {
      ctx.addIssue({ code: "custom", path: ["webhook", p.key], message: p.message });
    }
  });
export const botPatchSchema = z
  .object({ ...botFields, webhook: webhookPatchSchema, backend: z.object(backendFields).partial().strict() })
  .partial()
  .strict();

export const worldSchema = z
  .object({
    /** Added to every Bot API call. */
    latencyMs: nonNegInt.default(0),
    users: z.array(userSchema).default([]),
    bots: z.array(botSchema).default([]),
    faults: z.array(faultSchema).default([]),
  })
  .strict()
  .superRefine((world, ctx) => {
    const dup = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    uniqueBy(world.users, (u) => String(u.id), (i) => dup(["users", i, "id"], "duplicate user id"));
    uniqueBy(world.bots, (b) => b.token, (i) => dup(["bots", i, "token"], "duplicate token"));
    uniqueBy(world.bots, (b) => b.username.toLowerCase(), (i) => dup(["bots", i, "username"], "duplicate username"));
    uniqueBy(world.bots, (b) => b.token.split(":")[0] ?? "", (i) => dup(["bots", i, "id"], "duplicate bot id"));
    const conns = world.bots.flatMap((b, bi) => b.connections.map((c, ci) => ({ id: c.id, bi, ci })));
    uniqueBy(conns, (c) => c.id, (i) => dup(["bots", conns[i]!.bi, "connections", conns[i]!.ci, "id"], "duplicate connection id"));
  });

export type WorldSpec = z.output<typeof worldSchema>;
export type WorldInput = z.input<typeof worldSchema>;
export type BotSpec = z.output<typeof botSchema>;
export type UserSpec = z.output<typeof userSchema>;
export type PendingUpdate = z.output<typeof updateSchema>;
export type ConnectionSpec = z.output<typeof connectionSchema>;
export type WebhookSpec = z.output<typeof webhookSchema>;
export type WebhookPatch = z.output<typeof webhookPatchSchema>;

/** Cross-field rules of a webhook (or a webhook patch), as key → message. */
export function webhookProblems(w: WebhookPatch): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  if (w.lastErrorDate != null && w.lastErrorSecondsAgo != null) {
    problems.push({ key: "lastErrorDate", message: "give lastErrorDate or lastErrorSecondsAgo, not both" });
  }
  if ((w.lastErrorDate != null || w.lastErrorSecondsAgo != null) && w.lastErrorMessage == null) {
    problems.push({ key: "lastErrorMessage", message: "required when a last error is set" });
  }
  return problems;
}

function uniqueBy<T>(items: readonly T[], key: (t: T) => string, onDup: (index: number) => void): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) onDup(i);
    seen.add(k);
  });
}
