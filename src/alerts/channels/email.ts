import type { Transporter } from "nodemailer";
import { z } from "zod";
import { redactSecrets, registerSecret } from "../../redact.ts";
import { urlPasswords } from "../../config/secret-values.ts";
import { expected, isUrl } from "../../config/fields.ts";
import { ChannelError } from "../types.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelSender } from "./define-channel.ts";
import { renderHtmlDocument, renderText, subjectLine } from "./render.ts";

/** Connect, greeting and idle deadlines of one SMTP session. */
export const SMTP_TIMEOUT_MS = 10_000;

/** Codes of failures on the way to the server (or of the session breaking), worth another try. */
const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "EPROTOCOL", "EABORT"]);
/** Codes that say the configuration is wrong: retrying the same thing gets the same answer. */
const CONFIG_CODES = new Set(["ECONFIG", "ENOAUTH", "EREQUIRETLS"]);

const options = z.strictObject({
  url: z
    .string()
    .refine((v) => isUrl(v, ["smtp:", "smtps:"]), { error: expected("an SMTP URL such as smtp://user:pass@smtp.example.com:587") })
    .describe("SMTP server URL, smtp:// or smtps://, credentials in the URL"),
  from: z.string().min(1),
  to: z.array(z.string().min(1)).min(1),
});

/**
 * Sends each notification as one e-mail (text and HTML parts) over SMTP, a fresh connection per
 * message (no pool: alerts are rare, and a pooled connection that went stale is one more failure mode).
 */
export const emailChannel = defineChannel({ type: "email", options, create: emailSender });
export type EmailChannelConfig = ChannelConfigOf<typeof emailChannel>;

/** One email channel with its routing, outside the registry. */
export function createEmailChannel(name: string, config: EmailChannelConfig): Channel {
  return routedChannel(name, config, emailSender(name, config));
}

function emailSender(name: string, config: z.output<typeof options>): ChannelSender {
  const url = new URL(config.url);
  const passwords = urlPasswords(url);
  for (const p of passwords) registerSecret(p);
  const server = `${url.hostname}:${url.port || (url.protocol === "smtps:" ? "465" : "587")}`;
  const label = `email channel "${name}" (${server})`;
  /** redactSecrets ignores short values; a password is masked whatever its length. */
  const redact = (text: string) => passwords.reduce((out, p) => out.split(p).join("****"), redactSecrets(text));

  // nodemailer is loaded with the first email, not with the service: 5.6 MB of resident memory that a
  // monitor without email channels (or before its first alert) does not need.
  let transporter: Promise<Transporter> | undefined;
  const transport = () =>
    (transporter ??= import("nodemailer").then(({ createTransport }) =>
      createTransport({
        url: config.url,
        pool: false,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
        dnsTimeout: SMTP_TIMEOUT_MS,
        socketCloseTimeout: 1_000,
      }),
    ));

  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      try {
        await (await transport()).sendMail({
          from: config.from,
          to: config.to,
          subject: subjectLine(message),
          text: renderText(message),
          html: renderHtmlDocument(message),
          // Mail clients thread the firing, reminders and resolved notifications of one alert together.
          references: [threadId(message)],
          headers: { "X-Secretary-Alert": `${message.key}; kind=${message.kind}; severity=${message.severity}` },
          signal,
        });
      } catch (err) {
        throw toChannelError(label, err, redact);
      }
    },
    async close() {
      if (transporter) (await transporter).close();
    },
  };
}

function toChannelError(label: string, err: unknown, redact: (text: string) => string): ChannelError {
  const e = (err ?? {}) as { code?: string; responseCode?: number; response?: string; message?: string };
  const reason = redact(oneLine(e.response ?? e.message ?? String(err)));
  const code = e.code ?? "";
  if (code === "EABORT") return new ChannelError(`${label}: cancelled`);
  if (typeof e.responseCode === "number") {
    // RFC 5321: 5yz is a permanent refusal, 4yz transient; 503 (bad sequence) is about the session, not the message.
    const permanent = e.responseCode >= 500 && e.responseCode !== 503;
    return new ChannelError(`${label}: SMTP ${e.responseCode}${code ? ` ${code}` : ""}: ${reason}`, { permanent });
  }
  if (CONFIG_CODES.has(code)) return new ChannelError(`${label}: ${code}: ${reason}`, { permanent: true });
  if (CONNECTION_CODES.has(code)) return new ChannelError(`${label}: ${code}: ${reason}`);
  return new ChannelError(`${label}: ${code ? `${code}: ` : ""}${reason}`);
}

function threadId(message: AlertMessage): string {
  const since = Date.parse(message.since);
  const key = message.key.replace(/[^A-Za-z0-9_.-]/g, "_");
  return `<alert.${key}.${Number.isNaN(since) ? "0" : since}@secretary-watch>`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
