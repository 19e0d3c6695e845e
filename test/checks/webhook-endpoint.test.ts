/**
 * The webhook-endpoint check against real TLS servers on loopback, with certificates this test makes
 * (a CA the check is told to trust, leaves it signs, self-signed ones), a sandbox Bot API answering
 * getWebhookInfo over real HTTP, and DNS through a resolver the test gives the check (names → loopback
 * addresses, or the errors a DNS server gives). Each row: the world, then what the check says.
 */
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { X509Certificate } from "node:crypto";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { Resolver } from "node:dns/promises";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import { makeWebhookEndpoint, type EndpointProbe } from "../../checks/webhook-endpoint.ts";
import type { HostResolver } from "../../src/endpoint/resolve-host.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { makeCertificate, daysFromNow, type Certificate } from "../../src/sandbox/certificates.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { BotClient } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";
import type { BotStatus, CheckResult } from "../../src/model.ts";
import { expectRow, type Row as ScenarioRow } from "../support/check-scenario.ts";

const HOST = "bots.example.com";
const TOKEN = "7000001:demo-anna-Xk2v9";
const CA = makeCertificate({ commonName: "secretary-watch test CA", notBefore: daysFromNow(-30), notAfter: daysFromNow(400), isCa: true });
/** A certificate for `names` expiring in `days`, signed by `issuer` (null: self-signed). */
const leaf = (days: number, names: string[] = [HOST], issuer: Certificate | null = CA) =>
  makeCertificate({ commonName: names[0]!, names, notBefore: daysFromNow(-10), notAfter: daysFromNow(days), ...(issuer && { issuer }) });

/** A DNS error as node's resolver raises it. */
const dnsError = (code: string) => Object.assign(new Error(`queryA ${code}`), { code });
/** Names → IPv4 addresses; any other name: NXDOMAIN. No IPv6 records. */
const zone = (records: Record<string, string[]>): HostResolver => ({
  resolve4: async (host) => {
    const found = records[host];
    if (!found) throw dnsError("ENOTFOUND");
    return found;
  },
  resolve6: async (host) => {
    throw dnsError(records[host] ? "ENODATA" : "ENOTFOUND");
  },
});
/** A resolver whose DNS server fails every question with `code`. */
const brokenDns = (code: string): HostResolver => ({ resolve4: async () => Promise.reject(dnsError(code)), resolve6: async () => Promise.reject(dnsError(code)) });
/** A DNS server that never answers. */
const silentDns: HostResolver = { resolve4: () => new Promise(() => undefined), resolve6: () => new Promise(() => undefined) };

const servers: Array<TlsServer | NetServer> = [];
/** Bytes any TLS server of this test received after its handshake: a request would be a fake update. */
let bytesAfterHandshake = 0;

async function listen(server: TlsServer | NetServer, host = "127.0.0.1"): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}
function tlsEndpoint(cert: Certificate, host = "127.0.0.1"): Promise<number> {
  const server = createTlsServer({ cert: cert.cert, key: cert.key }, (socket) => {
    socket.on("data", (chunk: Buffer) => (bytesAfterHandshake += chunk.length));
    socket.on("error", () => undefined);
  });
  server.on("tlsClientError", () => undefined);
  return listen(server, host);
}

let sandbox: Sandbox;
const transport = createTransport();
beforeAll(async () => {
  sandbox = await startSandbox({ world: parseWorld({ bots: [{ token: TOKEN, username: "anna_secretary_bot", firstName: "Anna", webhook: { url: `https://${HOST}/anna` } }] }) });
});
afterAll(async () => {
  for (const s of servers) s.close();
  await sandbox.close();
  transport.close();
});

interface World {
  /** Anna's webhook as the sandbox's world has it (url, ipAddress, hasCustomCertificate). */
  webhook?: Record<string, unknown>;
  /** The check's options. */
  options?: Record<string, unknown>;
  probe?: EndpointProbe;
}

/** One sweep of anna with token, webhook and webhook-endpoint (asking through `probe`); the endpoint's result. */
async function sweep(w: World): Promise<{ result: CheckResult; status: BotStatus }> {
  await fetch(`${sandbox.url}/_sandbox/bots/anna_secretary_bot`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ webhook: { url: `https://${HOST}/anna`, ipAddress: null, allowedUpdates: null, hasCustomCertificate: false, certificateExpiresInDays: 90, certificateNames: null, ...w.webhook } }),
  });
  const endpoint = makeWebhookEndpoint(w.probe ?? { ca: [CA.cert] });
  const checks = [...CHECKS.filter((c) => c.id === "token" || c.id === "webhook"), endpoint];
  const bot = {
    name: "anna",
    token: TOKEN,
    username: "anna_secretary_bot",
    ownerId: 1,
    probeChats: [],
    labels: {},
    checks: { webhook: { mode: "any" as const }, "webhook-endpoint": endpoint.options.parse(w.options ?? {}) },
  };
  const client = new BotClient(TOKEN, { apiRoot: sandbox.url, environment: "prod", timeoutMs: 2000 }, transport, () => undefined);
  const status = await runSweep({ bot: bot as never, checks, client });
  return { result: status.checks.find((c) => c.check === "webhook-endpoint")!, status };
}

/** The check for a webhook whose name resolves to 127.0.0.1, served on `port` (the URL says 443: `connectTo` ":port"). */
const at = (port: number, probe: Partial<EndpointProbe> = {}, options: Record<string, unknown> = {}): World => ({
  probe: { ca: [CA.cert], resolver: () => zone({ [HOST]: ["127.0.0.1"] }), ...probe },
  options: { connectTo: { [`${HOST}:443`]: `:${port}` }, ...options },
});
const day = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ") + " UTC";

describe("the webhook-endpoint check against TLS servers on loopback", () => {
  it("when the certificate is trusted, for the host and far from expiry, then ok with its date, the expiry observed, and no byte of HTTP sent", async () => {
    const cert = leaf(90);
    const before = bytesAfterHandshake;
    const { result, status } = await sweep(at(await tlsEndpoint(cert)));
    expect(result).toMatchObject({ status: "ok", message: expect.stringMatching(/^certificate valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/) });
    expect(status.observed.webhookCertificateExpiresAt).toBeCloseTo(daysFromNow(90).getTime() / 1000, -1);
    await new Promise((r) => setTimeout(r, 50));
    expect(bytesAfterHandshake - before).toBe(0);
  });

  it("when the sweep runs webhook and webhook-endpoint, then getWebhookInfo is asked once", async () => {
    await fetch(`${sandbox.url}/_sandbox/calls`, { method: "DELETE" });
    await sweep(at(await tlsEndpoint(leaf(90))));
    const calls = (await (await fetch(`${sandbox.url}/_sandbox/calls`)).json()) as Array<{ method: string; count: number }>;
    expect(calls.filter((c) => c.method === "getWebhookInfo").reduce((n, c) => n + c.count, 0)).toBe(1);
  });

});

/** When `cert` expires, as the check writes it. */
const expiry = (cert: Certificate) => day(new Date(new X509Certificate(cert.cert).validTo));

interface Row {
  when: string;
  /** The world, given the loopback servers it needs. */
  given: () => Promise<World>;
  then: (world: World) => Record<string, unknown>;
}

const EXPIRED = makeCertificate({ commonName: HOST, notBefore: daysFromNow(-60), notAfter: daysFromNow(-2), issuer: CA });
const IN_FAIL_DAYS = leaf(2);
const IN_WARN_DAYS = leaf(10);
const SELF_SIGNED = leaf(90, [HOST], null);

const ROWS: Row[] = [
  {
    when: "the certificate expired",
    given: async () => at(await tlsEndpoint(EXPIRED)),
    then: () => ({ status: "fail", impact: "degraded", message: `the certificate of ${HOST} expired on ${expiry(EXPIRED)}`, remediation: expect.stringContaining("Renew the webhook's TLS certificate") }),
  },
  {
    when: "the certificate expires within failDays",
    given: async () => at(await tlsEndpoint(IN_FAIL_DAYS)),
    then: () => ({ status: "fail", message: `the certificate of ${HOST} expires on ${expiry(IN_FAIL_DAYS)}, within 3 days` }),
  },
  {
    when: "the certificate expires within warnDays",
    given: async () => at(await tlsEndpoint(IN_WARN_DAYS)),
    then: () => ({ status: "warn", message: `the certificate of ${HOST} expires on ${expiry(IN_WARN_DAYS)}, within 14 days`, remediation: expect.stringContaining("Renew") }),
  },
  {
    when: "the certificate expires within warnDays set to 5 but not within 5",
    given: async () => at(await tlsEndpoint(IN_WARN_DAYS), {}, { warnDays: 5, failDays: 1 }),
    then: () => ({ status: "ok", message: `certificate valid until ${expiry(IN_WARN_DAYS)}` }),
  },
  {
    when: "the certificate is for another host",
    given: async () => at(await tlsEndpoint(leaf(90, ["other.example.com", "www.other.example.com"]))),
    then: () => ({ status: "fail", message: `the certificate of ${HOST} is for other.example.com, www.other.example.com, not for ${HOST}`, remediation: expect.stringContaining("not issued for its host name") }),
  },
  {
    when: "the certificate is self-signed and was not uploaded with setWebhook",
    given: async () => at(await tlsEndpoint(SELF_SIGNED)),
    then: () => ({ status: "fail", message: `the certificate of ${HOST} is not from a trusted authority (DEPTH_ZERO_SELF_SIGNED_CERT) and was not uploaded with setWebhook`, remediation: expect.stringContaining("upload the self-signed certificate") }),
  },
  {
    when: "the certificate is self-signed and Telegram says it was uploaded (has_custom_certificate)",
    given: async () => ({ ...at(await tlsEndpoint(SELF_SIGNED)), webhook: { hasCustomCertificate: true } }),
    then: () => ({ status: "ok", message: `certificate valid until ${expiry(SELF_SIGNED)}` }),
  },
  {
    when: "the certificate is trusted by this machine's roots only, not by the CA the check is given",
    given: async () => at(await tlsEndpoint(leaf(90, [HOST], makeCertificate({ commonName: "another CA", notBefore: daysFromNow(-1), notAfter: daysFromNow(9), isCa: true })))),
    then: () => ({ status: "fail", message: expect.stringContaining("(UNABLE_TO_VERIFY_LEAF_SIGNATURE)") }),
  },
  {
    when: "the webhook is on a port Telegram does not deliver to",
    given: async () => ({ ...at(1), webhook: { url: `https://${HOST}:8080/anna` } }),
    then: () => ({ status: "fail", message: "the webhook is on port 8080; Telegram delivers only to ports 443, 80, 88, 8443", remediation: expect.stringContaining("only to ports 443, 80, 88 and 8443") }),
  },
  {
    when: "the webhook's name does not resolve (NXDOMAIN)",
    given: async () => ({ ...at(1, { resolver: () => zone({}) }) }),
    then: () => ({ status: "fail", message: `${HOST} does not resolve (ENOTFOUND)`, remediation: expect.stringContaining("does not exist in DNS") }),
  },
  {
    when: "Telegram's ip_address is not among the name's addresses",
    given: async () => ({ ...at(await tlsEndpoint(leaf(90))), webhook: { ipAddress: "203.0.113.10" } }),
    then: () => ({ status: "warn", message: `Telegram delivers to 203.0.113.10, which ${HOST} no longer resolves to (it resolves to 127.0.0.1)`, remediation: expect.stringContaining("Call setWebhook again") }),
  },
  {
    when: "the name has two addresses and Telegram's ip_address is the second (the only one serving)",
    given: async () => ({ ...at(await tlsEndpoint(leaf(90), "127.0.0.1"), { resolver: () => zone({ [HOST]: ["127.0.0.9", "127.0.0.1"] }) }), webhook: { ipAddress: "127.0.0.1" } }),
    then: () => ({ status: "ok" }),
  },
  {
    when: "the monitor's DNS server refuses the question",
    given: async () => at(1, { resolver: () => brokenDns("ECONNREFUSED") }),
    then: () => ({ status: "unknown", message: `could not look up ${HOST}: the DNS answered nothing usable (ECONNREFUSED)`, remediation: expect.stringContaining("Nothing is known to be wrong with the bot") }),
  },
  {
    when: "the monitor's DNS server never answers",
    given: async () => at(1, { resolver: () => silentDns }, { timeout: "300ms" }),
    then: () => ({ status: "unknown", message: `could not look up ${HOST}: the DNS answered nothing usable (ETIMEOUT)` }),
  },
  {
    when: "node's resolver asks a DNS server on a loopback port where none listens",
    given: async () => {
      const port = await closedPort();
      return at(1, { resolver: () => withServers(new Resolver({ timeout: 200, tries: 1 }), `127.0.0.1:${port}`) });
    },
    then: () => ({ status: "unknown", message: expect.stringMatching(new RegExp(`^could not look up ${HOST.replace(/\./g, "\\.")}: the DNS answered nothing usable \\(E[A-Z]+\\)$`)) }),
  },
  {
    when: "the endpoint refuses the connection",
    given: async () => at(await closedPort()),
    then: () => ({ status: "unknown", message: expect.stringMatching(/^could not connect to bots\.example\.com:443 \(connecting to bots\.example\.com:\d+\) at 127\.0\.0\.1: ECONNREFUSED$/), remediation: expect.stringContaining("the monitor could not reach") }),
  },
  {
    when: "the endpoint accepts the connection and never answers the handshake",
    given: async () => at(await listen(createNetServer(() => undefined)), {}, { timeout: "300ms" }),
    then: () => ({ status: "unknown", message: expect.stringMatching(/: ETIMEDOUT$/) }),
  },
  {
    when: "the endpoint speaks plain HTTP, not TLS",
    given: async () => at(await listen(createNetServer((s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n")))),
    then: () => ({ status: "fail", message: expect.stringContaining("the TLS handshake failed"), remediation: expect.stringContaining("must speak TLS") }),
  },
  {
    when: "the endpoint closes the connection at once",
    given: async () => at(await listen(createNetServer((s) => s.destroy()))),
    then: () => ({ status: "fail", message: expect.stringMatching(/(reset|closed) the connection during the TLS handshake$/) }),
  },
  {
    when: "the bot polls (no webhook is set)",
    given: async () => ({ ...at(1), webhook: { url: "" } }),
    then: () => ({ status: "skipped", message: "the bot polls (no webhook is set)" }),
  },
];

describe("the webhook-endpoint check's verdicts", () => {
  for (const row of ROWS)
    it(`when ${row.when}, then it is ${String(row.then({}).status)}`, async () => {
      const world = await row.given();
      const { result } = await sweep(world);
      expect(result).toMatchObject(row.then(world));
    });

  it("when the webhook URL holds the bot's token, then no verdict names it", async () => {
    for (const world of [
      { ...at(1), webhook: { url: `https://${HOST}:8080/bot${TOKEN}/hook` } },
      { ...at(await closedPort()), webhook: { url: `https://${HOST}/bot${TOKEN}/hook` } },
      { ...at(await tlsEndpoint(EXPIRED)), webhook: { url: `https://${HOST}/bot${TOKEN}/hook` } },
    ]) {
      const { result } = await sweep(world);
      expect(result.status).not.toBe("ok");
      expect(JSON.stringify(result)).not.toContain("demo-anna-Xk2v9");
    }
  });

  it("when webhook did not pass, then webhook-endpoint is skipped", async () => {
    const { result } = await sweep({ ...at(1), webhook: { allowedUpdates: ["message"] } });
    expect(result).toMatchObject({ status: "skipped", message: "skipped: webhook did not pass" });
  });
});

async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function withServers(resolver: Resolver, server: string): Resolver {
  resolver.setServers([server]);
  return resolver;
}

/**
 * The scenario table through the shared runner (test/support/check-scenario.ts): anna's webhook host is
 * served by the sandbox's own endpoints, with certificates the sandbox makes as her world says.
 */
const SANDBOX_ROWS: ScenarioRow[] = [
  {
    when: "the world's certificate is uploaded and valid for 90 days",
    given: {},
    then: { status: "ok", message: expect.stringMatching(/^certificate valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/), remediation: undefined },
  },
  {
    when: "the world's certificate expires in 5 days",
    given: { bot: { webhook: { certificateExpiresInDays: 5 } } },
    then: { status: "warn", message: expect.stringMatching(/^the certificate of bots\.example\.com expires on .+, within 14 days$/), remediation: expect.stringContaining("Renew") },
  },
  {
    when: "the world's certificate expires in 2 days",
    given: { bot: { webhook: { certificateExpiresInDays: 2 } } },
    then: { status: "fail", impact: "degraded", message: expect.stringMatching(/, within 3 days$/) },
  },
  {
    when: "the world's certificate expired yesterday",
    given: { bot: { webhook: { certificateExpiresInDays: -1 } } },
    then: { status: "fail", message: expect.stringMatching(/^the certificate of bots\.example\.com expired on /) },
  },
  {
    when: "the world's certificate was not uploaded (no public authority vouches for it)",
    given: { bot: { webhook: { hasCustomCertificate: false } } },
    then: { status: "fail", message: expect.stringContaining("is not from a trusted authority (DEPTH_ZERO_SELF_SIGNED_CERT)") },
  },
  {
    when: "the world's certificate is for other names",
    given: { bot: { webhook: { certificateNames: ["shop.example.net", "127.0.0.5"] } } },
    then: { status: "fail", message: `the certificate of ${HOST} is for shop.example.net, 127.0.0.5, not for ${HOST}` },
  },
  {
    when: "Telegram resolved the host to an address it no longer has",
    given: { bot: { webhook: { ipAddress: "203.0.113.10" } } },
    then: { status: "warn", message: expect.stringContaining(`Telegram delivers to 203.0.113.10, which ${HOST} no longer resolves to (it resolves to 127.0.0.1)`) },
  },
  {
    when: "the bot polls",
    given: { bot: { webhook: { url: "" } }, checks: { webhook: { mode: "polling" } } },
    then: { status: "skipped", message: "the bot polls (no webhook is set)" },
  },
  {
    when: "getWebhookInfo answers 500",
    given: { faults: [{ methods: ["getWebhookInfo"], status: 500 }] },
    then: { status: "skipped", message: "skipped: webhook did not pass" },
  },
];

describe("the webhook-endpoint check against the sandbox's own endpoints", () => {
  for (const row of SANDBOX_ROWS) it(`when ${row.when}, then webhook-endpoint is ${String(row.then.status)}`, () => expectRow("webhook-endpoint", row));
});
