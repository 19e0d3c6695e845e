import { z } from "zod";
import { registerSecret } from "../../redact.ts";
import { expected, isUrl, secret } from "../../config/fields.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelDeps, type ChannelSender } from "./define-channel.ts";
import { httpTarget, postJson } from "./http-delivery.ts";
import { renderText, subjectLine } from "./render.ts";

/** ntfy's default message size limit: a longer body is turned into an attachment instead of a notification text. */
export const NTFY_MAX_MESSAGE_BYTES = 4096;
export const NTFY_TRUNCATED = "\n… (truncated, the status page has the rest)";
/** ntfy's topic names: letters, digits, `_` and `-`, at most 64. */
const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

const topicUrlError = expected("an ntfy topic URL such as https://ntfy.sh/mytopic");

const options = z.strictObject({
  url: z
    .string()
    .refine((v) => isUrl(v, ["http:", "https:"]) && TOPIC.test(new URL(v).pathname.split("/").pop() ?? ""), { error: topicUrlError })
    .describe("Topic URL: https://ntfy.sh/<topic> or your server's; user:password@ in it for basic auth"),
  token: secret("Access token (tk_…) for a protected topic, sent as Bearer; empty for none"),
});

/** Priority and tags by what happened: down is urgent, degraded high, good news default. */
const LOOK = {
  down: { priority: "5", tag: "rotating_light" },
  degraded: { priority: "4", tag: "warning" },
  resolved: { priority: "3", tag: "white_check_mark" },
  test: { priority: "3", tag: "test_tube" },
  report: { priority: "3", tag: "bar_chart" },
} as const;

/**
 * Publishes to an ntfy topic: the plain-text message as the body, `Title`, `Priority`, `Tags` and
 * `Click` (the status page) as headers. ntfy's JSON form would carry UTF-8 without encoding, but it is
 * POSTed to the server's root with the topic in the body, so the topic URL users copy from ntfy would
 * have to be taken apart (and a server under a path prefix guessed at). Headers keep that URL as it is;
 * a header with non-ASCII text (a bot's name, the summary's dash) is sent as RFC 2047 encoded-words,
 * which ntfy decodes in every header, since fetch refuses header values beyond Latin-1.
 */
export const ntfyChannel = defineChannel({ type: "ntfy", options, create: ntfySender });
export type NtfyChannelConfig = ChannelConfigOf<typeof ntfyChannel>;

/** One ntfy channel with its routing, outside the registry. */
export function createNtfyChannel(name: string, config: NtfyChannelConfig, deps: Pick<ChannelDeps, "timeoutMs">): Channel {
  return routedChannel(name, config, ntfySender(name, config, deps));
}

function ntfySender(name: string, config: z.output<typeof options>, deps: Pick<ChannelDeps, "timeoutMs">): ChannelSender {
  registerSecret(config.token);
  const target = httpTarget(config.url);
  const label = `ntfy channel "${name}"`;
  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      const headers: Record<string, string> = { ...(await ntfyHeaders(message)), "content-type": "text/plain; charset=utf-8" };
      // Lower-case, so a token replaces (instead of joining) the Basic header of credentials in the URL.
      if (config.token !== "") headers.authorization = `Bearer ${config.token}`;
      // postJson's one POST and retry classification serve any body; the content-type above replaces its JSON one.
      await postJson(label, target, ntfyBody(message), headers, signal, deps.timeoutMs);
    },
  };
}

/** The publishing headers of one notification, each ASCII (RFC 2047 where the text is not). */
export async function ntfyHeaders(message: AlertMessage): Promise<Record<string, string>> {
  // Loaded with the first notification, not with the service (4.7 MB resident), as email.ts does.
  const { encodeWords } = await import("nodemailer/lib/mime-funcs");
  const look = message.kind === "resolved" || message.kind === "test" || message.kind === "report" ? LOOK[message.kind] : LOOK[message.severity];
  const tags = [look.tag, message.bot?.name ?? "monitor"];
  const headers: Record<string, string> = {
    title: encodeWords(subjectLine(message), "B", 52),
    priority: look.priority,
    tags: tags.join(","),
  };
  // `new URL().href` percent-encodes what is not ASCII, so the link needs no encoded-words.
  if (message.url) headers.click = new URL(message.url).href;
  return headers;
}

/**
 * The plain-text message without its first line (the title says it), cut at a line to fit ntfy's limit
 * with a note, never inside a UTF-8 sequence.
 */
export function ntfyBody(message: AlertMessage, maxBytes = NTFY_MAX_MESSAGE_BYTES): string {
  // A report in its compact form: a phone's notification, not the e-mail's full list.
  const text = renderText(message, "compact").replace(/^[^\n]*\n/, "");
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(NTFY_TRUNCATED, "utf8");
  let kept = "";
  let used = 0;
  for (const char of text) {
    used += Buffer.byteLength(char, "utf8");
    if (used > budget) break;
    kept += char;
  }
  const lineEnd = kept.lastIndexOf("\n");
  return (lineEnd >= kept.length / 2 ? kept.slice(0, lineEnd) : kept) + NTFY_TRUNCATED;
}
