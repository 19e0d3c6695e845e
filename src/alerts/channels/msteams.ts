import type { AlertCheck, AlertMessage } from "../types.ts";
import { chatCard, fitText, mostThatFit, omittedNote, PAGE_LINK_TEXT, type CardTone } from "./chat-card.ts";
import { defineChatChannel, queryParameter } from "./chat-webhook.ts";
import type { ChannelConfigOf } from "./define-channel.ts";

/** Teams refuses a message over about 28 KB; the body (UTF-8 bytes) stays under 28,000. */
export const TEAMS_MAX_BYTES = 28_000;
export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
/** 1.4, not 1.5: the Workflows bot posts cards up to 1.4 on every Teams client (1.5 is not yet rendered everywhere). */
export const ADAPTIVE_CARD_VERSION = "1.4";

/** The title's colour, from Adaptive Cards' palette. */
const TITLE_COLOURS: Record<CardTone, string> = { down: "Attention", degraded: "Warning", healthy: "Good", monitor: "Accent", test: "Default" };

/**
 * Posts an Adaptive Card to a Teams Workflows webhook: the title coloured by health, the facts and each
 * check (observed, fix) as FactSets, and an Action.OpenUrl to the bot's page when there is a public URL.
 * Checks that would take the body past Teams' size limit are left out, and the card says how many.
 */
const msteams = defineChatChannel({
  type: "msteams",
  url: {
    example: "https://prod-00.westeurope.logic.azure.com/workflows/…/invoke?…&sig=XXXX",
    description: "Teams Workflows webhook URL (“Post to a channel when a webhook request is received”; its sig holds the token: keep it in the environment)",
  },
  // …/triggers/manual/paths/invoke?api-version=…&sp=…&sv=…&sig=<token>: the signature is the token
  secretParts: (url) => queryParameter(url, "sig"),
  payload: msteamsPayload,
});
export const msteamsChannel = msteams.definition;
export type MsteamsChannelConfig = ChannelConfigOf<typeof msteamsChannel>;
/** One msteams channel with its routing, outside the registry. */
export const createMsteamsChannel = msteams.create;

type Element =
  | { type: "TextBlock"; text: string; wrap: true; size?: string; weight?: string; color?: string; isSubtle?: boolean; separator?: boolean }
  | { type: "FactSet"; facts: Array<{ title: string; value: string }>; separator?: boolean };

export interface AdaptiveCard {
  $schema: string;
  type: "AdaptiveCard";
  version: string;
  msteams: { width: "Full" };
  body: Element[];
  actions?: Array<{ type: "Action.OpenUrl"; title: string; url: string }>;
}

export interface TeamsPayload {
  type: "message";
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

export function msteamsPayload(message: AlertMessage): TeamsPayload {
  const card = chatCard(message);
  const head: Element[] = [
    { type: "TextBlock", text: fitText(card.title, 300), wrap: true, size: "Large", weight: "Bolder", color: TITLE_COLOURS[card.tone] },
    { type: "FactSet", facts: card.facts.map((f) => ({ title: f.label, value: fitText(f.value, 1000) })) },
  ];
  if (card.note) head.push({ type: "TextBlock", text: fitText(card.note, 1000), wrap: true });
  if (card.checksHeading) head.push({ type: "TextBlock", text: card.checksHeading, wrap: true, weight: "Bolder", separator: true });
  const checks = card.checks.map(checkFacts);

  const payload = (shown: number): TeamsPayload => {
    const omitted = card.checks.length - shown;
    const rest: Element[] = omitted > 0 ? [{ type: "TextBlock", text: omittedNote(omitted, card.url !== undefined), wrap: true, isSubtle: true }] : [];
    const content: AdaptiveCard = {
      $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
      type: "AdaptiveCard",
      version: ADAPTIVE_CARD_VERSION,
      msteams: { width: "Full" },
      body: [...head, ...checks.slice(0, shown), ...rest],
      ...(card.url && { actions: [{ type: "Action.OpenUrl" as const, title: PAGE_LINK_TEXT, url: card.url }] }),
    };
    return { type: "message", attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content }] };
  };
  // Whole checks while the body stays under the size Teams takes.
  const shown = mostThatFit(card.checks.length, (n) => payloadBytes(payload(n)) <= TEAMS_MAX_BYTES);
  return payload(shown);
}

export function payloadBytes(payload: unknown): number {
  return Buffer.byteLength(JSON.stringify(payload), "utf8");
}

/** One check as a FactSet: what was observed, and the fix. */
function checkFacts(c: AlertCheck): Element {
  const facts = [{ title: `${fitText(c.check, 100)} (${c.status})`, value: fitText(c.message || "(no message)", 2000) }];
  if (c.remediation) facts.push({ title: "Fix", value: fitText(c.remediation, 2000) });
  return { type: "FactSet", facts, separator: true };
}
