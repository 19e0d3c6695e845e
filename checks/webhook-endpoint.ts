import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { z } from "zod";
import { defineCheck, fail, ok, skip, unknown, warn, type Verdict } from "../src/runner/define-check.ts";
import { durationBetween } from "../src/config/duration.ts";
import { CONNECT_TO_KEY, parseConnectTarget, unbracket } from "../src/endpoint/connect-to.ts";
import { resolveHost, systemResolver, type HostResolver } from "../src/endpoint/resolve-host.ts";
import { tlsHandshake } from "../src/endpoint/tls-handshake.ts";
import { REMEDIATION } from "./remediation.ts";

/** The only ports Telegram delivers webhooks to. */
export const TELEGRAM_WEBHOOK_PORTS: readonly number[] = [443, 80, 88, 8443];
const DAY_MS = 86_400_000;
/** Handshake errors that are not about the chain: the check says those itself, with the dates and the names. */
const NOT_CHAIN_ERRORS = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID"]);

/** What the check asks the world through, beyond its options: tests point these at their own. */
export interface EndpointProbe {
  /** How host names are looked up (default: the system's DNS servers, asked directly). */
  resolver?(timeoutMs: number): HostResolver;
  /** Roots to trust instead of Node's bundled ones. */
  ca?: readonly string[];
}

const options = z
  .object({
    warnDays: z.number().int().min(0).max(3650).default(14).describe("warn when the certificate expires within this many days"),
    failDays: z.number().int().min(0).max(3650).default(3).describe("fail when the certificate expires within this many days"),
    timeout: durationBetween(100, 60_000).default(5_000).describe("100ms to 1m, for the DNS lookup and for the TLS handshake each"),
    connectTo: z
      .record(
        z.string().regex(CONNECT_TO_KEY, 'expected a "host:port" key, as in the webhook URL'),
        z.string().refine((v) => parseConnectTarget(v) !== undefined, { error: (iss) => `expected "address:port", ":port" or a URL, got ${JSON.stringify(iss.input)}` }),
      )
      .default({})
      .describe('as curl --connect-to: { "host:port": "address:port" } connects there instead of to the host\'s DNS addresses (":port": the host\'s addresses, that port)'),
  })
  .strict();

/** The check, asking through `probe` (the registered one asks the system's DNS and trusts Node's roots). */
export function makeWebhookEndpoint(probe: EndpointProbe = {}) {
  // One resolver per timeout, not one per sweep: each opens a DNS channel of its own.
  const resolvers = new Map<number, HostResolver>();
  const resolverFor = (timeoutMs: number): HostResolver => {
    let resolver = resolvers.get(timeoutMs);
    if (!resolver) resolvers.set(timeoutMs, (resolver = (probe.resolver ?? systemResolver)(timeoutMs)));
    return resolver;
  };
  return defineCheck({
    id: "webhook-endpoint",
    title: "The webhook endpoint accepts Telegram's TLS connection",
    dependsOn: ["webhook"],
    impact: "degraded",
    options,
    async run({ telegram, now, signal }, o) {
      // The webhook check's answer, memoized for the sweep: no second getWebhookInfo.
      const info = await telegram.getWebhookInfo();
      if (!info.url) return skip("the bot polls (no webhook is set)");
      let url: URL;
      try {
        url = new URL(info.url);
      } catch {
        // Not the URL itself: its path may hold the bot's token (https://host/bot<token>/).
        return fail("the webhook URL Telegram reports is not a valid URL", REMEDIATION.webhookMissing);
      }
      const host = unbracket(url.hostname).toLowerCase();
      const port = Number(url.port || 443);
      if (url.protocol !== "https:") return fail(`the webhook URL is not https:// (${url.protocol}//${url.host})`, REMEDIATION.endpointHandshake);
      if (!TELEGRAM_WEBHOOK_PORTS.includes(port))
        return fail(`the webhook is on port ${port}; Telegram delivers only to ports ${TELEGRAM_WEBHOOK_PORTS.join(", ")}`, REMEDIATION.endpointPort);

      const override = o.connectTo[`${isIP(host) === 6 ? `[${host}]` : host}:${port}`];
      const parsed = override === undefined ? undefined : parseConnectTarget(override)!;
      const target = { host: parsed?.host ?? host, port: parsed?.port ?? port };
      const resolution = await resolveHost(target.host, resolverFor(o.timeout), o.timeout);
      if (resolution.kind === "no-such-name") return fail(`${target.host} does not resolve (${resolution.code})`, REMEDIATION.endpointNoSuchName);
      if (resolution.kind === "unreachable")
        return unknown(`could not look up ${target.host}: the DNS answered nothing usable (${resolution.code})`, REMEDIATION.endpointUnreachable);
      const { addresses } = resolution;
      // Telegram delivers to the address it resolved (ip_address); that is the one to try when the name still has it.
      const telegramAddress = info.ip_address && isIP(info.ip_address) ? info.ip_address : undefined;
      const address = telegramAddress && addresses.includes(telegramAddress) ? telegramAddress : addresses[0]!;

      const shake = await tlsHandshake({ address, port: target.port, host, timeoutMs: o.timeout, signal, ...(probe.ca && { ca: probe.ca }) });
      const where = `${host}:${port}${override === undefined ? "" : ` (connecting to ${target.host}:${target.port})`}`;
      if (shake.kind === "unreachable")
        return unknown(`could not connect to ${where} at ${address}: ${shake.code}`, REMEDIATION.endpointUnreachable);
      if (shake.kind === "failed") return fail(`${where}: ${shake.reason}`, REMEDIATION.endpointHandshake);

      const expiresAt = new Date(shake.certificate.valid_to);
      if (!Number.isNaN(expiresAt.getTime())) telegram.observed.webhookCertificateExpiresAt = Math.floor(expiresAt.getTime() / 1000);
      const verdict = certificateVerdict(shake.certificate, {
        host,
        now,
        trusted: shake.authorized || info.has_custom_certificate === true || NOT_CHAIN_ERRORS.has(shake.authorizationError ?? ""),
        chainError: shake.authorizationError,
        warnDays: o.warnDays,
        failDays: o.failDays,
      });
      if (verdict.status !== "ok") return verdict;
      if (telegramAddress && !addresses.includes(telegramAddress))
        return warn(
          `Telegram delivers to ${telegramAddress}, which ${host} no longer resolves to (it resolves to ${addresses.join(", ")})`,
          REMEDIATION.endpointAddressMoved,
        );
      return verdict;
    },
  });
}

interface CertificateFacts {
  host: string;
  now: Date;
  /** The chain is trusted, or Telegram does not ask it to be (a certificate uploaded with setWebhook). */
  trusted: boolean;
  chainError: string | undefined;
  warnDays: number;
  failDays: number;
}

/** Dates, chain and name of the endpoint's certificate, worst first. */
function certificateVerdict(cert: PeerCertificate, f: CertificateFacts): Verdict {
  const notAfter = new Date(cert.valid_to);
  const notBefore = new Date(cert.valid_from);
  const left = notAfter.getTime() - f.now.getTime();
  const subject = `the certificate of ${f.host}`;
  if (left <= 0) return fail(`${subject} expired on ${day(notAfter)}`, REMEDIATION.endpointExpiry);
  if (notBefore.getTime() > f.now.getTime()) return fail(`${subject} is not valid before ${day(notBefore)}`, REMEDIATION.endpointExpiry);
  if (!f.trusted) return fail(`${subject} is not from a trusted authority (${f.chainError ?? "untrusted chain"}) and was not uploaded with setWebhook`, REMEDIATION.endpointUntrusted);
  if (checkServerIdentity(f.host, cert) !== undefined) return fail(`${subject} is for ${namesOn(cert)}, not for ${f.host}`, REMEDIATION.endpointWrongName);
  if (left <= f.failDays * DAY_MS) return fail(`${subject} expires on ${day(notAfter)}, within ${f.failDays} days`, REMEDIATION.endpointExpiry);
  if (left <= f.warnDays * DAY_MS) return warn(`${subject} expires on ${day(notAfter)}, within ${f.warnDays} days`, REMEDIATION.endpointExpiry);
  // The date, not the days left: a message that changed every day would be a new verdict to store every day.
  return ok(`certificate valid until ${day(notAfter)}`);
}

/** "2026-12-06 05:39 UTC". */
const day = (at: Date): string => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The names a certificate is for: its subject alternative names, else its common name. */
function namesOn(cert: PeerCertificate): string {
  const alt = cert.subjectaltname
    ?.split(", ")
    .map((n) => n.replace(/^(DNS|IP Address):/, ""))
    .join(", ");
  const cn = cert.subject?.CN;
  return alt || (Array.isArray(cn) ? cn.join(", ") : cn) || "no name";
}

/** The registered check: the system's DNS, Node's trusted roots. */
export const webhookEndpoint = makeWebhookEndpoint();
