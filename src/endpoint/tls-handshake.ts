/**
 * A TLS handshake with a webhook endpoint, and nothing after it: no HTTP request is ever sent (a
 * request to a webhook would feed the bot a fake update). What comes back is what the handshake
 * showed — the certificate, whether this machine's trust store vouches for its chain — or why
 * there was none, split into the endpoint's fault (it broke the handshake) and the monitor's side
 * (nothing answered: refused, unreachable, out of time).
 */
import { isIP } from "node:net";
import { connect, type PeerCertificate } from "node:tls";

export interface HandshakeTarget {
  /** The address to connect to. */
  address: string;
  port: number;
  /** The webhook URL's host: sent as SNI (unless an IP) and the name the certificate must carry. */
  host: string;
  timeoutMs: number;
  /** Roots to trust instead of Node's bundled ones (tests; an operator's private CA). */
  ca?: readonly string[];
  signal?: AbortSignal;
}

export type Handshake =
  | { kind: "handshake"; certificate: PeerCertificate; authorized: boolean; authorizationError?: string }
  /** The endpoint answered and broke the handshake (no TLS there, a protocol or alert error, a reset). */
  | { kind: "failed"; reason: string }
  /** Nothing answered: refused, no route, out of time. */
  | { kind: "unreachable"; code: string };

/** Codes of a connection that never reached the endpoint's TLS: the monitor cannot tell anything. */
const UNREACHABLE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EADDRNOTAVAIL", "ENETDOWN", "EHOSTDOWN", "ABORT_ERR"]);

export function tlsHandshake(t: HandshakeTarget): Promise<Handshake> {
  return new Promise((resolve) => {
    let connected = false;
    const socket = connect({
      host: t.address,
      port: t.port,
      ...(isIP(t.host) ? {} : { servername: t.host }),
      // The verdict is the check's: it reads authorized and the certificate itself.
      rejectUnauthorized: false,
      ...(t.ca && { ca: [...t.ca] }),
      // No ALPN: nothing beyond the handshake is spoken.
    });
    const done = (result: Handshake) => {
      clearTimeout(timer);
      t.signal?.removeEventListener("abort", aborted);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ kind: "unreachable", code: "ETIMEDOUT" }), t.timeoutMs);
    const aborted = () => done({ kind: "unreachable", code: "ABORT_ERR" });
    if (t.signal?.aborted) aborted();
    t.signal?.addEventListener("abort", aborted, { once: true });
    socket.once("connect", () => (connected = true));
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate(false);
      if (!certificate || Object.keys(certificate).length === 0) return done({ kind: "failed", reason: "the endpoint presented no certificate" });
      const error = socket.authorizationError;
      done({ kind: "handshake", certificate, authorized: socket.authorized, ...(error && { authorizationError: String(error) }) });
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.name;
      if (!connected && UNREACHABLE.has(code)) return done({ kind: "unreachable", code });
      done({ kind: "failed", reason: handshakeReason(err) });
    });
    socket.once("close", () => done({ kind: "failed", reason: "the endpoint closed the connection during the TLS handshake" }));
  });
}

function handshakeReason(err: NodeJS.ErrnoException): string {
  if (err.code === "ECONNRESET") return "the endpoint reset the connection during the TLS handshake";
  // OpenSSL's reason ("wrong version number": no TLS on that port; "tlsv1 alert internal error"…).
  const reason = /:([a-z0-9 _.-]+):[^:]*$/i.exec(err.message)?.[1] ?? err.message;
  return `the TLS handshake failed: ${reason.replace(/_/g, " ").toLowerCase()}`;
}
