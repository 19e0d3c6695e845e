import { createTransport } from "nodemailer";
import { redactSecrets, registerSecret } from "../../redact.ts";
import type { Config } from "../../config/schema.ts";
import { ChannelError } from "../types.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { renderHtmlDocument, renderText, subjectLine } from "./render.ts";
import { accepts } from "./routing.ts";

export type EmailChannelConfig = Extract<Config["alerts"]["channels"][string], { type: "email" }>;

/** Connect, greeting and idle deadlines of one SMTP session. */
export const SMTP_TIMEOUT_MS = 10_000;

/** Codes of failures on the way to the server (or of the session breaking), worth another try. */
const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "EPROTOCOL", "EABORT"]);
/** Codes that say the configuration is wrong: retrying the same thing gets the same answer. */
const CONFIG_CODES = new Set(["ECONFIG", "ENOAUTH", "EREQUIRETLS"]);

/**
 * Sends each notification as one e-mail (text and HTML parts) over SMTP, a fresh connection per
 * message (no pool: alerts are rare, and a pooled connection that went stale is one more failure mode).
 */
export function createEmailChannel(name: string, config: EmailChannelConfig): Channel {
  const url = new URL(config.url);
  const passwords = [...new Set([url.password, safeDecode(url.password)].filter((p) => p !== ""))];
  for (const p of passwords) registerSecret(p);
  const server = `${url.hostname}:${url.port || (url.protocol === "smtps:" ? "465" : "587")}`;
  const label = `email channel "${name}" (${server})`;
  /** redactSecrets ignores short values; a password is masked whatever its length. */
  const redact = (text: string) => passwords.reduce((out, p) => out.split(p).join("****"), redactSecrets(text));

  const transporter = createTransport({
    url: config.url,
    pool: false,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    dnsTimeout: SMTP_TIMEOUT_MS,
    socketCloseTimeout: 1_000,
  });

  return {
    name,
    type: "email",
    accepts: (message) => accepts(config, message),
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      try {
        await transporter.sendMail({
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
      transporter.close();
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

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
