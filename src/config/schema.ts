import { z } from "zod";
import { CHECKS } from "../../checks/index.ts";
import { DAY, MINUTE, SECOND, durationBetween } from "./duration.ts";
import { apiRoot, expected, httpUrl, isUrl, secret } from "./fields.ts";
import { schedule, server, shard, store, telegram } from "./sections.ts";

/**
 * The configuration file (README, "Configuration") as one zod schema: validation, defaults, the `Config` type and
 * the JSON Schema for editors all come from here. Every object is strict (unknown keys are errors).
 * Check options come from the check registry: `checks.<id>` is that check's own `options` schema.
 * The sections that stand alone (telegram, server, store, schedule, shard) are in sections.ts.
 */

const NAME = /^[a-z0-9_-]+$/;
const CHANNEL_NAME = /^[A-Za-z0-9_-]+$/;
const USERNAME = /^@?[A-Za-z0-9_]+$/;

// ---------------------------------------------------------------------------------------------
// Checks: defaults under `checks`, partial overrides under `bots[].checks`

const CHECK_OPTIONS: Record<string, z.ZodObject> = Object.fromEntries(CHECKS.map((c) => [c.id, c.options]));
const KNOWN_CHECKS = Object.keys(CHECK_OPTIONS);

const unknownCheck = (iss: { code?: string }) =>
  iss.code === "unrecognized_keys" ? `unknown check (known: ${KNOWN_CHECKS.join(", ")})` : undefined;

/** The same options with every field optional and no defaults: only what a bot overrides is kept. */
function overrides(options: z.ZodObject): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(options.shape)) {
    let inner = field as z.ZodType;
    const def = inner._zod.def as { type: string; innerType?: z.ZodType };
    if ((def.type === "default" || def.type === "prefault") && def.innerType) inner = def.innerType;
    shape[key] = inner.optional();
  }
  const partial = z.strictObject(shape);
  return options.description ? partial.describe(options.description) : partial;
}

/** Options of every check, each defaulted from its own schema. */
export type ChecksConfig = Record<string, Record<string, unknown>>;

const checkDefaults = z
  .strictObject(Object.fromEntries(KNOWN_CHECKS.map((id) => [id, CHECK_OPTIONS[id]!.prefault({})])), { error: unknownCheck })
  .describe("Check options; a bot may override any of them under bots[].checks") as unknown as z.ZodType<
  ChecksConfig,
  Record<string, Record<string, unknown>>
>;

const checkOverrides = z
  .strictObject(Object.fromEntries(KNOWN_CHECKS.map((id) => [id, overrides(CHECK_OPTIONS[id]!).optional()])), { error: unknownCheck })
  .describe("This bot's overrides of the check options under checks") as unknown as z.ZodType<
  Record<string, Record<string, unknown> | undefined>,
  Record<string, Record<string, unknown>>
>;

const testAccount = z
  .strictObject({
    session: secret("Session string printed by `secretary-watch login`"),
    apiId: z.number().int().nonnegative().default(0),
    apiHash: secret("From my.telegram.org"),
  })
  .describe("The Telegram user account that runs the round-trip check");

// ---------------------------------------------------------------------------------------------
// Alerts

const routing = {
  minHealth: z.enum(["degraded", "down"]).default("degraded").describe("Notify from this health on"),
  bots: z.record(z.string(), z.string()).default({}).describe("Only bots whose labels have all these values"),
};

const chatIdError = expected("a chat id such as -1001234567890 or a @channelusername");

const telegramChannel = z.strictObject({
  type: z.literal("telegram"),
  botToken: z.string().min(1).describe("Token of the bot that posts the alerts (not a monitored bot)"),
  chatId: z
    .union([z.number().int({ error: chatIdError }), z.string().regex(/^@[A-Za-z0-9_]+$/, { error: chatIdError })], { error: chatIdError })
    .describe("Chat, group or channel that receives the alerts"),
  threadId: z.number().int().nonnegative().default(0).describe("Forum topic; 0 for none"),
  apiRoot: apiRoot.optional().describe("Defaults to telegram.apiRoot"),
  ...routing,
});

const emailChannel = z.strictObject({
  type: z.literal("email"),
  url: z
    .string()
    .refine((v) => isUrl(v, ["smtp:", "smtps:"]), { error: expected("an SMTP URL such as smtp://user:pass@smtp.example.com:587") })
    .describe("SMTP server URL, smtp:// or smtps://, credentials in the URL"),
  from: z.string().min(1),
  to: z.array(z.string().min(1)).min(1),
  ...routing,
});

const alertmanagerChannel = z.strictObject({
  type: z.literal("alertmanager"),
  url: httpUrl("http://alertmanager:9093").describe("Alertmanager base URL"),
  ...routing,
});

const webhookChannel = z.strictObject({
  type: z.literal("webhook"),
  url: httpUrl("https://example.com/hook"),
  secret: secret("Shared secret for the receiving endpoint; empty for none"),
  ...routing,
});

const channel = z.discriminatedUnion("type", [telegramChannel, emailChannel, alertmanagerChannel, webhookChannel]);

const maintenanceWindow = z.strictObject({
  bots: z.array(z.string()).min(1).describe("Names of the bots under maintenance"),
  start: z.iso.datetime({ offset: true, error: expected("an ISO 8601 time such as 2026-12-01T02:00:00Z") }),
  duration: durationBetween(SECOND, 366 * DAY),
  reason: z.string().default(""),
});

const alerts = z.strictObject({
  failAfter: z.number().int().positive().default(2).describe("Consecutive degraded or down sweeps before an alert fires"),
  recoverAfter: z.number().int().positive().default(2).describe("Consecutive healthy sweeps before it resolves"),
  repeatInterval: durationBetween(MINUTE, 30 * DAY).default(4 * 60 * MINUTE).describe("Re-notify a firing alert this often (1m to 30d)"),
  sendResolved: z.boolean().default(true),
  channels: z
    .record(z.string().regex(CHANNEL_NAME, { error: expected("a channel name of letters, digits, _ and -") }), channel)
    .default({}),
  maintenance: z.array(maintenanceWindow).default([]).describe("Windows that mute notifications (not checks)"),
});

// ---------------------------------------------------------------------------------------------
// Bots

/**
 * Probe chats per bot: each is one sendChatAction every sweep, one after another, and the scope check
 * names them in its message (status, page, state file, alerts). Telegram Business bots serve one
 * profile's chats; a handful of probes covers its scope.
 */
export const MAX_PROBE_CHATS = 20;

export const botSchema = z.strictObject({
  name: z
    .string()
    .regex(NAME, { error: expected('a name of lowercase letters, digits, "_" and "-"') })
    .describe("Unique; the `bot` label everywhere"),
  token: z.string().min(1).describe("The bot's HTTP API token from @BotFather"),
  username: z
    .string()
    .regex(USERNAME, { error: expected("a bot username such as anna_secretary_bot") })
    .transform((u) => u.replace(/^@/, ""))
    .describe("The bot's username, with or without @"),
  botId: z.number().int().nonnegative().optional().describe("Optional; 0 or absent: not checked"),
  owner: z
    .strictObject({ id: z.number().int().positive().describe("Telegram user id of the Business profile") })
    .describe("The profile the bot must be attached to"),
  businessConnectionId: z.string().optional().describe("Optional; empty: not recorded yet"),
  probeChats: z
    .array(z.number().int())
    .max(MAX_PROBE_CHATS, {
      error: (iss) => `at most ${MAX_PROBE_CHATS} probe chats per bot (each is one sendChatAction every sweep), got ${(iss.input as unknown[]).length}`,
    })
    .default([])
    .describe(`User ids that must be inside the bot's chat scope (at most ${MAX_PROBE_CHATS})`),
  labels: z.record(z.string(), z.string()).default({}),
  checks: checkOverrides.default({}),
});

/** Names already used by an earlier bot: `[index, name]` of each repeat. Reads raw input defensively. */
function duplicateNames(list: readonly unknown[]): [number, string][] {
  const seen = new Set<string>();
  const repeats: [number, string][] = [];
  list.forEach((entry, i) => {
    const name = entry && typeof entry === "object" ? (entry as { name?: unknown }).name : undefined;
    if (typeof name !== "string") return;
    if (seen.has(name)) repeats.push([i, name]);
    seen.add(name);
  });
  return repeats;
}

const duplicateMessage = (name: string) => `duplicate bot name ${JSON.stringify(name)}`;

const bots = z
  .array(botSchema)
  .superRefine((list, ctx) => {
    for (const [i, name] of duplicateNames(list)) ctx.addIssue({ code: "custom", input: name, path: [i, "name"], message: duplicateMessage(name) });
  })
  .default([]);

/**
 * Rules across values that must be reported even when other values are broken. zod skips an array's
 * refinements once any element has an aborting issue (a non-integer where an integer belongs, say),
 * so the loader runs these on the raw document too and merges the problems.
 */
export function crossFieldProblems(data: unknown): { path: (string | number)[]; message: string }[] {
  const list = data && typeof data === "object" ? (data as { bots?: unknown }).bots : undefined;
  if (!Array.isArray(list)) return [];
  return duplicateNames(list).map(([i, name]) => ({ path: ["bots", i, "name"], message: duplicateMessage(name) }));
}

// ---------------------------------------------------------------------------------------------

export const configSchema = z
  .strictObject({
    telegram: telegram.prefault({}),
    server: server.prefault({}),
    store: store.prefault({}),
    schedule: schedule.prefault({}),
    shard: shard.prefault({}),
    checks: checkDefaults.prefault({}),
    testAccount: testAccount.prefault({}),
    alerts: alerts.prefault({}),
    bots,
  })
  .superRefine((config, ctx) => {
    const enabled = (checks: Record<string, unknown> | undefined) => (checks?.["round-trip"] as { enabled?: boolean } | undefined)?.enabled;
    const anyEnabled = config.bots.some((b) => enabled(b.checks) ?? enabled(config.checks));
    if (anyEnabled && !config.testAccount.session)
      ctx.addIssue({
        code: "custom",
        path: ["testAccount", "session"],
        input: "",
        message: "required when the round-trip check is enabled (run `secretary-watch login` to get one)",
      });
  })
  .describe("secretary-watch configuration");

/** The validated configuration, defaults filled in, durations in milliseconds. */
export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type BotConfig = Config["bots"][number];
export type ChannelConfig = Config["alerts"]["channels"][string];
