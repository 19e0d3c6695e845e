import type { AlertCheck, AlertMessage } from "../types.ts";
import { chatCard, fitText, omittedNote, PAGE_LINK_TEXT, type ChatCard } from "./chat-card.ts";
import { defineChatChannel, tokenPathSegments } from "./chat-webhook.ts";
import type { ChannelConfigOf } from "./define-channel.ts";
import { subjectLine } from "./render.ts";

/** Block Kit's limits: blocks in a message, a header's text, a section's text and a field's text. */
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_HEADER = 150;
export const SLACK_MAX_SECTION = 3000;
export const SLACK_MAX_FIELD = 2000;

/**
 * Posts to a Slack incoming webhook as Block Kit: a header with the health, the facts, a section per
 * check with its fix, a button to the bot's page when there is a public URL, and `text` as the
 * notification's fallback. Text is escaped for mrkdwn and sent verbatim, so a name cannot write `<!channel>`.
 */
const slack = defineChatChannel({
  type: "slack",
  url: { example: "https://hooks.slack.com/services/T000/B000/XXXX", description: "Slack incoming webhook URL (it holds the token: keep it in the environment)" },
  // hooks.slack.com/services/T…/B…/<token>
  secretParts: tokenPathSegments,
  payload: slackPayload,
});
export const slackChannel = slack.definition;
export type SlackChannelConfig = ChannelConfigOf<typeof slackChannel>;
/** One slack channel with its routing, outside the registry. */
export const createSlackChannel = slack.create;

/** Slack's control characters as entities; nothing else is entity-encoded (Slack would show it as typed). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

type TextObject = { type: "plain_text"; text: string; emoji?: boolean } | { type: "mrkdwn"; text: string; verbatim?: boolean };
type Block =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "context"; elements: TextObject[] }
  | { type: "divider" }
  | { type: "actions"; elements: Array<{ type: "button"; text: TextObject; url: string; action_id: string }> };

export interface SlackPayload {
  text: string;
  blocks: Block[];
}

export function slackPayload(message: AlertMessage): SlackPayload {
  const card = chatCard(message);
  const head = headBlocks(card);
  const actions: Block[] = card.url
    ? [{ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: PAGE_LINK_TEXT }, url: card.url, action_id: "open-status-page" }] }]
    : [];
  // Whole checks while the blocks stay under Slack's count; when some are left out, one block says how many.
  const room = SLACK_MAX_BLOCKS - head.length - actions.length;
  const shown = card.checks.length <= room ? card.checks.length : room - 1;
  const omitted = card.checks.length - shown;
  const rest: Block[] = omitted > 0 ? [{ type: "context", elements: [mrkdwn(escapeMrkdwn(omittedNote(omitted, card.url !== undefined)))] }] : [];
  return {
    text: fitText(subjectLine(message), SLACK_MAX_SECTION, escapeMrkdwn),
    blocks: [...head, ...card.checks.slice(0, shown).map(checkSection), ...rest, ...actions],
  };
}

/** The blocks before the checks: header, facts, note and the checks' heading. */
function headBlocks(card: ChatCard): Block[] {
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: fitText(card.title, SLACK_MAX_HEADER), emoji: true } },
    { type: "section", fields: card.facts.map((f) => mrkdwn(fitText(`*${f.label}*\n${f.value}`, SLACK_MAX_FIELD, escapeMrkdwn))) },
  ];
  if (card.note) blocks.push({ type: "section", text: mrkdwn(fitText(card.note, SLACK_MAX_SECTION, escapeMrkdwn)) });
  if (card.checksHeading) blocks.push({ type: "divider" }, { type: "section", text: mrkdwn(`*${escapeMrkdwn(card.checksHeading)}*`) });
  return blocks;
}

/** `*token* (fail): message` and `_Fix:_ …`, each part cut so the section stays under 3000 characters. */
function checkSection(c: AlertCheck): Block {
  const head = `*${fitText(c.check, 100, escapeMrkdwn)}* (${c.status}): ${fitText(c.message, 1400, escapeMrkdwn)}`;
  const fix = c.remediation ? `\n_Fix:_ ${fitText(c.remediation, 1400, escapeMrkdwn)}` : "";
  return { type: "section", text: mrkdwn(head + fix) };
}

/** `verbatim`: Slack neither links names nor parses a bare `@here` or `#channel` in what a bot or Telegram wrote. */
function mrkdwn(text: string): TextObject {
  return { type: "mrkdwn", text, verbatim: true };
}
