/**
 * The request bodies Slack, Discord and Microsoft Teams document for their webhooks, written down from
 * the vendors' own references as zod schemas, for receivers in tests to check every payload against.
 * Strict where the vendor lists the fields (a misspelt field is an error, as the vendor would ignore or
 * refuse it), with every documented limit.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Slack: incoming webhooks with Block Kit.
//   https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
//   https://docs.slack.dev/reference/block-kit/blocks (50 blocks per message)
//   https://docs.slack.dev/reference/block-kit/blocks/header-block (plain_text, at most 150 characters)
//   https://docs.slack.dev/reference/block-kit/blocks/section-block (text 1–3000; at most 10 fields of 2000)
//   https://docs.slack.dev/reference/block-kit/blocks/context-block, …/divider-block, …/actions-block
//   https://docs.slack.dev/reference/block-kit/block-elements/button-element (text 75, url 3000, action_id 255)
//   https://api.slack.com/reference/surfaces/formatting#escaping: &, < and > are control characters
//   and are sent as &amp;, &lt; and &gt; unless they mean a link or mention (we send neither).

/** mrkdwn with no raw control character: every `&` starts one of the three entities, no `<` or `>`. */
const escapedMrkdwn = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((t) => !/[<>]/.test(t) && !/&(?!amp;|lt;|gt;)/.test(t), { error: "a raw &, < or > in mrkdwn (Slack parses them as control characters)" });

const plainText = (max: number) => z.strictObject({ type: z.literal("plain_text"), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const mrkdwnText = (max: number) => z.strictObject({ type: z.literal("mrkdwn"), text: escapedMrkdwn(max), verbatim: z.boolean().optional() });
const blockId = z.string().max(255).optional();

const slackButton = z.strictObject({
  type: z.literal("button"),
  text: plainText(75),
  action_id: z.string().max(255).optional(),
  url: z.url().max(3000).optional(),
  value: z.string().max(2000).optional(),
  style: z.enum(["primary", "danger"]).optional(),
});

export const slackBlock = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("header"), text: plainText(150), block_id: blockId }),
  z
    .strictObject({
      type: z.literal("section"),
      text: z.union([mrkdwnText(3000), plainText(3000)]).optional(),
      fields: z.array(z.union([mrkdwnText(2000), plainText(2000)])).min(1).max(10).optional(),
      block_id: blockId,
    })
    .refine((s) => s.text !== undefined || s.fields !== undefined, { error: "a section needs text or fields" }),
  z.strictObject({ type: z.literal("context"), elements: z.array(z.union([mrkdwnText(3000), plainText(3000)])).min(1).max(10), block_id: blockId }),
  z.strictObject({ type: z.literal("divider"), block_id: blockId }),
  z.strictObject({ type: z.literal("actions"), elements: z.array(slackButton).min(1).max(25), block_id: blockId }),
]);

/** The body of an incoming-webhook message: `text` is the notification's fallback when `blocks` are sent. */
export const slackMessage = z.strictObject({
  text: escapedMrkdwn(40_000),
  blocks: z.array(slackBlock).min(1).max(50),
  unfurl_links: z.boolean().optional(),
  unfurl_media: z.boolean().optional(),
});
export type SlackMessage = z.infer<typeof slackMessage>;

// ---------------------------------------------------------------------------------------------
// Discord: Execute Webhook.
//   https://discord.com/developers/docs/resources/webhook#execute-webhook (content 2000, username 80, 10 embeds)
//   https://discord.com/developers/docs/resources/message#embed-object-embed-limits (title 256,
//   description 4096, 25 fields, field name 256, value 1024, footer 2048, author 256; 6000 in all)
//   https://discord.com/developers/docs/resources/message#allowed-mentions-object

const discordField = z.strictObject({ name: z.string().min(1).max(256), value: z.string().min(1).max(1024), inline: z.boolean().optional() });

export const discordEmbed = z.strictObject({
  title: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  url: z.url().optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  color: z.number().int().min(0).max(0xffffff).optional(),
  footer: z.strictObject({ text: z.string().min(1).max(2048), icon_url: z.url().optional() }).optional(),
  author: z.strictObject({ name: z.string().min(1).max(256), url: z.url().optional(), icon_url: z.url().optional() }).optional(),
  fields: z.array(discordField).max(25).optional(),
});

/** What Discord counts toward the 6000 characters of a message's embeds. */
export function discordEmbedCharacters(e: z.infer<typeof discordEmbed>): number {
  const fields = (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  return (e.title ?? "").length + (e.description ?? "").length + (e.footer?.text ?? "").length + (e.author?.name ?? "").length + fields;
}

export const discordWebhookMessage = z
  .strictObject({
    content: z.string().max(2000).optional(),
    username: z.string().min(1).max(80).optional(),
    avatar_url: z.url().optional(),
    tts: z.boolean().optional(),
    embeds: z.array(discordEmbed).max(10).optional(),
    allowed_mentions: z
      .strictObject({
        parse: z.array(z.enum(["roles", "users", "everyone"])).optional(),
        roles: z.array(z.string()).max(100).optional(),
        users: z.array(z.string()).max(100).optional(),
        replied_user: z.boolean().optional(),
      })
      .optional(),
  })
  .refine((m) => (m.content ?? "") !== "" || (m.embeds ?? []).length > 0, { error: "a message needs content or embeds" })
  .refine((m) => (m.embeds ?? []).reduce((n, e) => n + discordEmbedCharacters(e), 0) <= 6000, { error: "the embeds hold more than 6000 characters" });
export type DiscordWebhookMessage = z.infer<typeof discordWebhookMessage>;

// ---------------------------------------------------------------------------------------------
// Microsoft Teams: a Workflows webhook ("Post to a channel when a webhook request is received") takes
// the same message with an Adaptive Card attachment as incoming webhooks did.
//   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
//   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook (the message size limit is 28 KB)
//   https://adaptivecards.io/explorer/AdaptiveCard.html, …/TextBlock.html, …/FactSet.html, …/Container.html, …/Action.OpenUrl.html

const colour = z.enum(["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"]);
const spacing = z.enum(["None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"]);

const textBlock = z.strictObject({
  type: z.literal("TextBlock"),
  text: z.string().min(1),
  wrap: z.boolean().optional(),
  size: z.enum(["Default", "Small", "Medium", "Large", "ExtraLarge"]).optional(),
  weight: z.enum(["Default", "Lighter", "Bolder"]).optional(),
  color: colour.optional(),
  isSubtle: z.boolean().optional(),
  separator: z.boolean().optional(),
  spacing: spacing.optional(),
});

const factSet = z.strictObject({
  type: z.literal("FactSet"),
  facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1),
  separator: z.boolean().optional(),
  spacing: spacing.optional(),
});

type CardElement = z.infer<typeof textBlock> | z.infer<typeof factSet> | { type: "Container"; items: CardElement[]; style?: string; separator?: boolean };
const cardElement: z.ZodType<CardElement> = z.lazy(() =>
  z.discriminatedUnion("type", [
    textBlock,
    factSet,
    z.strictObject({
      type: z.literal("Container"),
      items: z.array(cardElement).min(1),
      style: z.enum(["default", "emphasis", "good", "attention", "warning", "accent"]).optional(),
      separator: z.boolean().optional(),
    }),
  ]),
);

export const adaptiveCard = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal("AdaptiveCard"),
  version: z.enum(["1.4", "1.5"]),
  body: z.array(cardElement).optional(),
  actions: z.array(z.strictObject({ type: z.literal("Action.OpenUrl"), title: z.string().optional(), url: z.url() })).optional(),
  msteams: z.strictObject({ width: z.literal("Full").optional() }).optional(),
});

export const TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024;

export const teamsWebhookMessage = z.strictObject({
  type: z.literal("message"),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal("application/vnd.microsoft.card.adaptive"),
        contentUrl: z.string().nullable().optional(),
        content: adaptiveCard,
      }),
    )
    .min(1),
});
export type TeamsWebhookMessage = z.infer<typeof teamsWebhookMessage>;

/** Parses a received body as the vendor's shape; a mismatch fails the test with zod's path and words. */
export function bodyAs<T>(schema: z.ZodType<T>, body: Buffer): T {
  return schema.parse(JSON.parse(body.toString("utf8")));
}
