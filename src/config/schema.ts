import { z } from "zod";
import { CHECKS } from "../../checks/index.ts";
import { CHANNELS, channelConfigSchema, type ChannelRegistry } from "../alerts/channels/index.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import { reportProblems, reportsSchema } from "../reports/report-config.ts";
import { checkDefaultsSchema, checkNeedingTestAccount, checkOverridesSchema, testAccountUsers } from "./check-options-schema.ts";
import { DAY, MINUTE, SECOND, durationBetween } from "./duration.ts";
import { cronExpression, timeZone } from "./calendar-fields.ts";
import { serverAccessProblems } from "./access-fields.ts";
import { expected, secret } from "./fields.ts";
import { schedule, server, shard, store, telegram } from "./sections.ts";

/**
 * The configuration file (README, "Configuration") as one zod schema: validation, defaults, the `Config` type and
 * the JSON Schema for editors all come from here. Every object is strict (unknown keys are errors).
 * Check options come from the check registry (check-options-schema.ts): `checks.<id>` is that check's own `options` schema.
 * Channel options come from the channel registry: `alerts.channels.<name>` is one of its types.
 * The sections that stand alone (telegram, server, store, schedule, shard) are in sections.ts.
 */

const NAME = /^[a-z0-9_-]+$/;
const CHANNEL_NAME = /^[A-Za-z0-9_-]+$/;
const USERNAME = /^@?[A-Za-z0-9_]+$/;

const testAccount = z
  .strictObject({
    session: secret("Session string printed by `secretary-watch login`"),
    apiId: z.number().int().nonnegative().default(0),
    apiHash: secret("From my.telegram.org"),
  })
  .describe("The Telegram user account that runs the live tests");

// ---------------------------------------------------------------------------------------------
// Alerts

/**
 * A window of muted notifications: once (`start`) or on every occurrence of `cron` in `timezone`, for
 * `duration`; for the bots named in `bots` that carry every label of `labels` (at least one of the two).
 */
const maintenanceWindow = z
  .strictObject({
    bots: z.array(z.string()).optional().describe("Names of the bots under maintenance"),
    labels: z.record(z.string(), z.string()).optional().describe("Bots carrying all of these labels are under maintenance"),
    start: z.iso.datetime({ offset: true, error: expected("an ISO 8601 time such as 2026-12-01T02:00:00Z") }).optional().describe("A single window opens at this time"),
    cron: cronExpression.optional().describe('A window opens at every occurrence (node-cron syntax, such as "0 2 * * SUN")'),
    timezone: timeZone.optional().describe("IANA time zone `cron` is read in (default UTC)"),
    duration: durationBetween(SECOND, 366 * DAY),
    reason: z.string().default(""),
  })
  .check((ctx) => {
    const w = ctx.value;
    const problem = (key: string, message: string) => ctx.issues.push({ code: "custom", input: w, path: [key], message });
    if (w.start !== undefined && w.cron !== undefined) problem("cron", "give either start (one window) or cron (a recurring one), not both");
    if (w.start === undefined && w.cron === undefined) problem("start", "give start (one window) or cron (a recurring one)");
    if (w.timezone !== undefined && w.cron === undefined) problem("timezone", "applies to cron only (start carries its own offset)");
    if (!w.bots?.length && !Object.keys(w.labels ?? {}).length) problem("bots", "name the bots under maintenance: bots (names), labels (label values), or both");
    // A silence's `name` matcher is the bot's name, so a label of that name could not be told apart.
    if (w.labels && Object.hasOwn(w.labels, "name")) ctx.issues.push({ code: "custom", input: w, path: ["labels", "name"], message: "select bots by name with bots, not a label" });
  });

/** The alerts section with the channel types of `channels` (the registry's, or a test's with a throwaway one). */
const alertsWith = (channels: ChannelRegistry) =>
  z.strictObject({
    failAfter: z.number().int().positive().default(2).describe("Consecutive degraded or down sweeps before an alert fires"),
    recoverAfter: z.number().int().positive().default(2).describe("Consecutive healthy sweeps before it resolves"),
    repeatInterval: durationBetween(MINUTE, 30 * DAY).default(4 * 60 * MINUTE).describe("Re-notify a firing alert this often (1m to 30d)"),
    sendResolved: z.boolean().default(true),
    channels: z
      .record(z.string().regex(CHANNEL_NAME, { error: expected("a channel name of letters, digits, _ and -") }), channelConfigSchema(channels))
      .default({}),
    maintenance: z.array(maintenanceWindow).default([]).describe("Windows that mute notifications (not checks)"),
  });

const alerts = alertsWith(CHANNELS);

// ---------------------------------------------------------------------------------------------
// Bots

/**
 * Probe chats per bot: each is one sendChatAction every sweep, one after another, and the scope check
 * names them in its message (status, page, state file, alerts). Telegram Business bots serve one
 * profile's chats; a handful of probes covers its scope.
 */
export const MAX_PROBE_CHATS = 20;

const botFields = {
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
};

/** One entry of `bots` (and of the admin API's POST /bots), with the options of `registry`'s checks. */
export const botSchemaFor = (registry: CheckRegistry) => z.strictObject({ ...botFields, checks: checkOverridesSchema(registry).default({}) });
export const botSchema = botSchemaFor(CHECKS);

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

const botList = (bot: typeof botSchema) =>
  z
    .array(bot)
    .superRefine((list, ctx) => {
      for (const [i, name] of duplicateNames(list)) ctx.addIssue({ code: "custom", input: name, path: [i, "name"], message: duplicateMessage(name) });
    })
    .default([]);

/**
 * Rules across values that must be reported even when other values are broken. zod skips an array's
 * refinements once any element has an aborting issue (a non-integer where an integer belongs, say),
 * so the loader runs these on the raw document too and merges the problems (bot names; admin tokens).
 */
export function crossFieldProblems(data: unknown): { path: (string | number)[]; message: string }[] {
  const { bots: list, server } = (data && typeof data === "object" ? data : {}) as { bots?: unknown; server?: unknown };
  const access = server && typeof server === "object" ? serverAccessProblems(server).map((p) => ({ path: ["server", ...p.path], message: p.message })) : [];
  if (!Array.isArray(list)) return access;
  return [...duplicateNames(list).map(([i, name]) => ({ path: ["bots", i, "name"], message: duplicateMessage(name) })), ...access];
}

// ---------------------------------------------------------------------------------------------

/** The configuration for the checks of `registry` (CHECKS; a test adds plug-ins). */
export function configSchemaFor(registry: CheckRegistry) {
  return z
    .strictObject({
      telegram: telegram.prefault({}),
      server: server.prefault({}),
      store: store.prefault({}),
      schedule: schedule.prefault({}),
      shard: shard.prefault({}),
      checks: checkDefaultsSchema(registry).prefault({}),
      testAccount: testAccount.describe(`The Telegram user account that runs the live tests (${testAccountUsers(registry)})`).prefault({}),
      alerts: alerts.prefault({}),
      reports: reportsSchema,
      bots: botList(botSchemaFor(registry)),
    })
    .superRefine((config, ctx) => {
      for (const p of reportProblems(config.reports, config.alerts.channels)) ctx.addIssue({ code: "custom", path: p.path, input: undefined, message: p.message });
      if (config.store.url && config.shard.index !== 0)
        ctx.addIssue({
          code: "custom",
          path: ["shard", "index"],
          input: config.shard.index,
          message: "expected no shard.index with store.url: replicas claim shards by lease (set shard.count only)",
        });
      const needing = checkNeedingTestAccount(registry, config.checks, config.bots);
      if (needing && !config.testAccount.session)
        ctx.addIssue({
          code: "custom",
          path: ["testAccount", "session"],
          input: "",
          message: `required when the ${needing.id} check is enabled (run \`secretary-watch login\` to get one)`,
        });
    })
    .describe("secretary-watch configuration");
}

export const configSchema = configSchemaFor(CHECKS);

/** The validated configuration, defaults filled in, durations in milliseconds. */
export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type BotConfig = Config["bots"][number];

/** The configuration with another list of channel types, e.g. the built-in ones and a test's throwaway channel. */
export function configSchemaWith(channels: ChannelRegistry) {
  return configSchema.safeExtend({ alerts: alertsWith(channels).prefault({}) });
}
