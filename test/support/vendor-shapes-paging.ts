/**
 * What PagerDuty and ntfy accept, written down from their own documentation as zod schemas, for local
 * receivers to check every request against:
 *
 * - PagerDuty Events API v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and the
 *   vendor's OpenAPI document https://raw.githubusercontent.com/PagerDuty/api-schema/main/reference/events-v2/openapiv3.json
 *   (`routing_key` of 32 characters, `event_action` trigger | acknowledge | resolve, `dedup_key` up to
 *   255 characters and required unless triggering, `payload` {summary ≤ 1024, source, severity critical |
 *   error | warning | info, timestamp, component, group, class, custom_details} required to trigger,
 *   `client`, `client_url`, `links` [{href, text}] and `images` beside the payload; 202 on success).
 * - ntfy publishing: https://docs.ntfy.sh/publish/ (POST or PUT the message as the body to the topic URL;
 *   topics `[-_A-Za-z0-9]{1,64}`; headers `X-Title`/`Title`/`t`, `X-Priority`/`Priority`/`p` as 1–5 or
 *   min, low, default, high, max/urgent, `X-Tags`/`Tags`/`ta` comma-separated, `X-Click`/`Click` a URL,
 *   any header UTF-8 or RFC 2047 encoded; a message up to 4,096 bytes, longer ones become attachments;
 *   `Authorization: Bearer tk_…` or Basic for protected topics).
 */
import { z } from "zod";
import type { ReceivedRequest } from "./http-receiver.ts";

const PAGERDUTY_SEVERITIES = ["critical", "error", "warning", "info"] as const;

const pagerDutyPayload = z.strictObject({
  summary: z.string().min(1).max(1024),
  source: z.string().min(1),
  severity: z.enum(PAGERDUTY_SEVERITIES),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.record(z.string(), z.unknown()).optional(),
});

const pagerDutyCommon = {
  routing_key: z.string().length(32),
  dedup_key: z.string().min(1).max(255),
};

/** One event POSTed to `/v2/enqueue`. */
export const pagerDutyEvent = z.discriminatedUnion("event_action", [
  z.strictObject({
    ...pagerDutyCommon,
    dedup_key: pagerDutyCommon.dedup_key.optional(),
    event_action: z.literal("trigger"),
    payload: pagerDutyPayload,
    client: z.string().optional(),
    client_url: z.url().optional(),
    links: z.array(z.strictObject({ href: z.url(), text: z.string().optional() })).optional(),
    images: z.array(z.strictObject({ src: z.url(), href: z.url().optional(), alt: z.string().optional() })).optional(),
  }),
  z.strictObject({ ...pagerDutyCommon, event_action: z.literal("resolve") }),
  z.strictObject({ ...pagerDutyCommon, event_action: z.literal("acknowledge") }),
]);
export type PagerDutyEventShape = z.infer<typeof pagerDutyEvent>;

/** PagerDuty's answer to an accepted event. */
export const PAGERDUTY_ACCEPTED = { status: 202, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "success", message: "Event processed" }) };

/** The event a request to the PagerDuty receiver carried, checked against the documented shape. */
export function pagerDutyEventOf(req: ReceivedRequest): PagerDutyEventShape {
  if (req.method !== "POST") throw new Error(`PagerDuty takes POST, got ${req.method}`);
  if (!String(req.headers["content-type"]).startsWith("application/json")) throw new Error(`PagerDuty takes JSON, got ${req.headers["content-type"]}`);
  return pagerDutyEvent.parse(JSON.parse(req.body.toString("utf8")));
}

const NTFY_PRIORITIES = ["1", "2", "3", "4", "5", "min", "low", "default", "high", "max", "urgent"] as const;

/** A publication as ntfy reads it: headers decoded (RFC 2047) and the body as the message. */
export const ntfyPublication = z.strictObject({
  topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/),
  title: z.string().min(1).optional(),
  priority: z.enum(NTFY_PRIORITIES).optional(),
  tags: z.array(z.string().min(1)).optional(),
  click: z.url().optional(),
  authorization: z.string().regex(/^(Bearer|Basic) \S+$/).optional(),
  message: z.string().refine((m) => Buffer.byteLength(m, "utf8") <= 4096, { error: "longer than ntfy's 4,096-byte message limit (it would become an attachment)" }),
});
export type NtfyPublication = z.infer<typeof ntfyPublication>;

/** The publication one request to the ntfy receiver made, checked against the documented shape. */
export function ntfyPublicationOf(req: ReceivedRequest): NtfyPublication {
  if (req.method !== "POST" && req.method !== "PUT") throw new Error(`ntfy takes POST or PUT, got ${req.method}`);
  const header = (...names: string[]) => {
    for (const name of names) {
      const value = req.headers[name.toLowerCase()];
      if (typeof value === "string" && value.trim() !== "") return decodeRfc2047(value).trim();
    }
    return undefined;
  };
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === "string" && /[^\x20-\x7e]/.test(value)) throw new Error(`header ${name} is not ASCII: ${value}`);
  const tags = header("X-Tags", "Tags", "Tag", "ta");
  const publication = {
    topic: decodeURIComponent(new URL(req.path, "http://receiver").pathname.split("/").pop() ?? ""),
    title: header("X-Title", "Title", "ti", "t"),
    priority: header("X-Priority", "Priority", "prio", "p"),
    tags: tags?.split(",").map((t) => t.trim()),
    click: header("X-Click", "Click"),
    authorization: header("Authorization"),
    message: req.body.toString("utf8"),
  };
  return ntfyPublication.parse(Object.fromEntries(Object.entries(publication).filter(([, v]) => v !== undefined)));
}

const ENCODED_WORD = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;

/**
 * Decodes RFC 2047 encoded-words as Go's mime.WordDecoder.DecodeHeader does for ntfy: each word in its
 * charset (UTF-8 here), and the whitespace between two adjacent encoded-words dropped.
 */
export function decodeRfc2047(value: string): string {
  const joined = value.replace(/(\?=)\s+(?==\?)/g, "$1");
  return joined.replace(ENCODED_WORD, (_word, charset: string, encoding: string, text: string) => {
    if (charset.toLowerCase() !== "utf-8") throw new Error(`unexpected charset ${charset}`);
    const bytes =
      encoding.toUpperCase() === "B"
        ? Buffer.from(text, "base64")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1");
    return bytes.toString("utf8");
  });
}
