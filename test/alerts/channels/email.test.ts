/** The email channel against a real SMTP server (smtp-server) on loopback. */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import type { SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { createEmailChannel } from "../../../src/alerts/channels/email.ts";
import type { EmailChannelConfig } from "../../../src/alerts/channels/email.ts";
import { ChannelError } from "../../../src/alerts/types.ts";
import type { AlertMessage, Channel } from "../../../src/alerts/types.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { freePort } from "../../support/loopback-daemon.ts";
import { rejection } from "../../support/rejection.ts";

const USER = "watch";
const PASSWORD = "p@ss:w0rd/Xy9";

const message = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({ checks: [alertCheck({ message: "getMe: 401 <Unauthorized>" })], url: "https://watch.example.com/", ...overrides });

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

const servers: SMTPServer[] = [];
const channels: Channel[] = [];

afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close?.()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function smtp(options: Partial<SMTPServerOptions> = {}): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
    ...options,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, received };
}

function channel(port: number, overrides: Partial<EmailChannelConfig> = {}): Channel {
  const c = createEmailChannel("ops-mail", {
    type: "email",
    url: `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`,
    from: "watch@example.com",
    to: ["ops@example.com", "oncall@example.com"],
    minHealth: "degraded",
    bots: {},
    ...overrides,
  });
  channels.push(c);
  return c;
}

/** The decoded body of the MIME part with this content type. */
function part(raw: string, contentType: string): string {
  const start = raw.indexOf(`Content-Type: ${contentType}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const headersEnd = raw.indexOf("\r\n\r\n", start);
  const headers = raw.slice(start, headersEnd);
  const body = raw.slice(headersEnd + 4, raw.indexOf("\r\n--", headersEnd));
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers)) {
    const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, hex: string) => `%${hex}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, "%25"));
  }
  if (/Content-Transfer-Encoding: base64/i.test(headers)) return Buffer.from(body, "base64").toString("utf8");
  return body;
}

describe("email channel", () => {
  it("when the server accepts, then one mail with subject, text and HTML parts reaches every recipient", async () => {
    const { port, received } = await smtp();
    await channel(port).send(message(), AbortSignal.timeout(10_000));

    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.user).toBe(USER);
    expect(mail.from).toBe("watch@example.com");
    expect(mail.to).toEqual(["ops@example.com", "oncall@example.com"]);
    expect(mail.raw).toContain("Subject: [FIRING] anna (@anna_secretary_bot) is down");
    expect(mail.raw).toContain("From: watch@example.com");
    expect(mail.raw).toMatch(/To: ops@example\.com, oncall@example\.com/);
    expect(mail.raw).toContain("multipart/alternative");

    const text = part(mail.raw, "text/plain");
    expect(text).toContain("FIRING: anna (@anna_secretary_bot) is down");
    expect(text).toContain("token (fail): getMe: 401 <Unauthorized>");
    expect(text).toContain("Fix: Issue a new token with @BotFather.");
    expect(text).toContain("Status page: https://watch.example.com/");

    const html = part(mail.raw, "text/html");
    expect(html).toContain("<b>FIRING</b>");
    expect(html).toContain("getMe: 401 &lt;Unauthorized&gt;");
    expect(html).toContain('<a href="https://watch.example.com/">Status page</a>');
  });

  it("when the notification is a resolution, then the subject says RESOLVED", async () => {
    const { port, received } = await smtp();
    await channel(port).send(
      message({ kind: "resolved", health: "healthy", endsAt: "2026-03-01T11:00:00Z", summary: "anna (@anna_secretary_bot) is healthy again", checks: [] }),
      AbortSignal.timeout(10_000),
    );
    expect(received[0]!.raw).toContain("Subject: [RESOLVED] anna (@anna_secretary_bot) is healthy again");
    expect(part(received[0]!.raw, "text/plain")).toContain("All checks pass.");
  });

  it("when the server refuses the recipient with 550, then a permanent ChannelError", async () => {
    const { port, received } = await smtp({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error("5.1.1 No such user"), { responseCode: 550 }));
      },
    });
    const err = await rejection(channel(port).send(message(), AbortSignal.timeout(10_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("550");
    expect(received).toHaveLength(0);
  });

  it("when the server answers 451 (try later), then a retryable ChannelError", async () => {
    const { port } = await smtp({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error("4.3.0 Try again later"), { responseCode: 451 }));
      },
    });
    const err = await rejection(channel(port).send(message(), AbortSignal.timeout(10_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("451");
  });

  it("when the password is wrong, then a permanent ChannelError that does not show it", async () => {
    const { port } = await smtp();
    const wrong = "Wr0ngPassw0rd!";
    const err = await rejection(
      channel(port, { url: `smtp://${USER}:${encodeURIComponent(wrong)}@127.0.0.1:${port}` }).send(message(), AbortSignal.timeout(10_000)),
      ChannelError,
    );
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("535");
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(encodeURIComponent(wrong));
  });

  it("when the server is down, then a retryable ChannelError whose message does not contain the password", async () => {
    const port = await freePort(); // nothing listens on it
    const err = await rejection(channel(port).send(message(), AbortSignal.timeout(10_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("ops-mail");
    expect(err.message).not.toContain(PASSWORD);
    expect(err.message).not.toContain(encodeURIComponent(PASSWORD));
    expect(err.message).not.toContain("w0rd");
  });

  it("when the routing selects tier vip, then only vip bots are accepted", () => {
    const c = channel(25, { bots: { tier: "vip" } });
    expect(c.accepts(message({ bot: { name: "anna", username: "anna_bot", labels: { tier: "vip" } } }))).toBe(true);
    expect(c.accepts(message())).toBe(false);
  });
});
