import type { AlertCheck, AlertMessage } from "../types.ts";
import { chatCard, fitText, mostThatFit, omittedNote, PAGE_LINK_TEXT, type CardTone } from "./chat-card.ts";
import { defineChatChannel, tokenPathSegments } from "./chat-webhook.ts";
import type { ChannelConfigOf } from "./define-channel.ts";

/** Discord's embed limits: title, description, fields, a field's name and value, and all of an embed's text. */
export const DISCORD_MAX_TITLE = 256;
export const DISCORD_MAX_DESCRIPTION = 4096;
export const DISCORD_MAX_FIELDS = 25;
export const DISCORD_MAX_FIELD_NAME = 256;
export const DISCORD_MAX_FIELD_VALUE = 1024;
export const DISCORD_MAX_TOTAL = 6000;

/** The embed's colour (its left bar): red, amber, green, Discord's blurple for the monitor's own alert, grey for a test. */
export const DISCORD_COLOURS: Record<CardTone, number> = { down: 0xd93025, degraded: 0xf4a300, healthy: 0x2eb67d, monitor: 0x5865f2, test: 0x99aab5 };

const FOOTER = "secretary-watch";

/**
 * Executes a Discord webhook with one embed coloured by health: the facts in the description, a field
 * per check with its fix, the title linking to the bot's page. Mentions are never parsed, so no name or
 * message can ping @everyone, and markdown in values is escaped.
 */
const discord = defineChatChannel({
  type: "discord",
  url: { example: "https://discord.com/api/webhooks/123/XXXX", description: "Discord webhook URL (it holds the token: keep it in the environment)" },
  // discord.com/api/webhooks/<id>/<token>
  secretParts: tokenPathSegments,
  payload: discordPayload,
});
export const discordChannel = discord.definition;
export type DiscordChannelConfig = ChannelConfigOf<typeof discordChannel>;
/** One discord channel with its routing, outside the registry. */
export const createDiscordChannel = discord.create;

/** Discord's markdown and mention characters, backslash-escaped so they show as typed. */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|<>[\]#@]/g, "\\$&");
}

export interface DiscordEmbed {
  title: string;
  url?: string;
  description: string;
  color: number;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
  timestamp: string;
}

export interface DiscordPayload {
  embeds: [DiscordEmbed];
  allowed_mentions: { parse: [] };
}

export function discordPayload(message: AlertMessage): DiscordPayload {
  const card = chatCard(message);
  const facts = card.facts.map((f) => `**${f.label}:** ${escapeDiscord(f.value)}`);
  if (card.note) facts.push("", escapeDiscord(card.note));
  if (card.checksHeading) facts.push("", `**${escapeDiscord(card.checksHeading)}**`);
  const lead = fitText(facts.join("\n"), 2000);
  const title = fitText(card.title, DISCORD_MAX_TITLE, escapeDiscord);
  // Never more than 25 are shown: the rest need no field.
  const fields = card.checks.slice(0, DISCORD_MAX_FIELDS).map(checkField);

  const embed = (shown: number): DiscordEmbed => {
    const omitted = card.checks.length - shown;
    const tail = [omitted > 0 ? escapeDiscord(omittedNote(omitted, card.url !== undefined)) : "", card.url ? `[${PAGE_LINK_TEXT}](${card.url})` : ""];
    const description = [lead, ...tail.filter((t) => t !== "")].join("\n\n");
    return {
      title,
      ...(card.url && { url: card.url }),
      description: fitText(description, DISCORD_MAX_DESCRIPTION),
      color: DISCORD_COLOURS[card.tone],
      fields: fields.slice(0, shown),
      footer: { text: FOOTER },
      timestamp: message.at,
    };
  };
  // Whole checks while the embed stays under 25 fields and 6000 characters in all.
  const shown = mostThatFit(card.checks.length, (n) => n <= DISCORD_MAX_FIELDS && embedLength(embed(n)) <= DISCORD_MAX_TOTAL);
  return { embeds: [embed(shown)], allowed_mentions: { parse: [] } };
}

/** What Discord counts toward an embed's 6000: title, description, field names and values, footer text. */
export function embedLength(e: DiscordEmbed): number {
  return e.title.length + e.description.length + e.footer.text.length + e.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
}

function checkField(c: AlertCheck): DiscordEmbed["fields"][number] {
  const fix = c.remediation ? `\n*Fix:* ${fitText(c.remediation, 480, escapeDiscord)}` : "";
  return {
    name: fitText(`${c.check} (${c.status})`, DISCORD_MAX_FIELD_NAME, escapeDiscord),
    value: fitText(c.message || "(no message)", 500, escapeDiscord) + fix,
    inline: false,
  };
}
