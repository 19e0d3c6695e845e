/**
 * The world's webhook endpoints: one TLS server for every webhook host of the world, telling them apart
 * by the name the client asks for (SNI), each with a certificate made here for it as its bot's webhook
 * says (names, days to expiry). It completes handshakes and closes: like the monitor, it never speaks
 * HTTP, and no update is delivered anywhere. The sandbox serves it on its own port (server.ts).
 */
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from "node:tls";
import { makeCertificate, daysFromNow } from "./certificates.ts";
import type { World } from "./world.ts";

/** The name of the certificate a client gets when it asks for a host no webhook of the world has. */
const NO_SUCH_HOST = "no-such-webhook.sandbox.invalid";

export class WebhookEndpoints {
  readonly server: Server;
  private readonly world: World;
  /** Certificates by host, names and days: made once, when first asked for, then the same on every handshake. */
  private readonly made = new Map<string, { cert: string; key: string; context: SecureContext }>();
  private readonly sockets = new Set<TLSSocket>();

  constructor(world: World) {
    this.world = world;
    // The default context serves clients that send no SNI (an IP-literal webhook URL).
    const { cert, key } = this.certificateFor(undefined);
    this.server = createServer({ cert, key, SNICallback: (name, cb) => cb(null, this.contextFor(name)) }, (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
      socket.end();
    });
    // A client that gives up mid-handshake is not the sandbox's error.
    this.server.on("tlsClientError", () => undefined);
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private contextFor(servername: string): SecureContext {
    return this.certificateFor(servername.toLowerCase()).context;
  }

  /** The certificate for `host` (undefined: the first IP-literal webhook host, for clients without SNI). */
  private certificateFor(host: string | undefined): { cert: string; key: string; context: SecureContext } {
    const webhook = this.world.bots.map((b) => b.webhook).find((w) => w.url !== "" && (host === undefined ? isIpHost(hostOf(w.url)) : hostOf(w.url) === host));
    const name = host ?? (webhook ? hostOf(webhook.url) : "127.0.0.1");
    const names = webhook?.certificateNames ?? [webhook ? name : NO_SUCH_HOST];
    const days = webhook?.certificateExpiresInDays ?? 90;
    const cacheKey = JSON.stringify([name, names, days]);
    const cached = this.made.get(cacheKey);
    if (cached) return cached;
    const now = this.world.now() * 1000;
    const { cert, key } = makeCertificate({ commonName: names[0] ?? name, names, notBefore: daysFromNow(Math.min(-30, days - 30), now), notAfter: daysFromNow(days, now) });
    const made = { cert, key, context: createSecureContext({ cert, key }) };
    this.made.set(cacheKey, made);
    return made;
  }
}

function hostOf(url: string): string {
  const host = new URL(url).hostname.toLowerCase();
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

const isIpHost = (host: string): boolean => /^[\d.]+$|:/.test(host);
