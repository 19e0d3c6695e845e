/**
 * `connectTo`, as curl's --connect-to: for a webhook's "host:port", the address and port to connect
 * to instead, while the host name is still what the certificate must carry (and the SNI sent). For
 * endpoints behind split DNS, for a staging address, and for the demo, whose names live in the sandbox.
 */
import { isIP } from "node:net";

export interface ConnectTarget {
  /** An IP address or a host name (resolved like the webhook's own); absent: the webhook's host. */
  host?: string;
  port: number;
}

/** A `connectTo` key: "host:port" of a webhook URL (lower case). */
export const CONNECT_TO_KEY = /^[^\s:/[\]]+:\d{1,5}$|^\[[0-9a-f:.]+\]:\d{1,5}$/i;

/**
 * A `connectTo` value: "address:port", "[v6]:port", ":port" (the webhook's host, another port, as
 * curl's empty HOST2), or a URL (its host and port, so that `${SECRETARY_WATCH_SANDBOX_URL}` can be
 * written as it is). Undefined when it is none of these.
 */
export function parseConnectTarget(value: string): ConnectTarget | undefined {
  const portOnly = /^:(\d{1,5})$/.exec(value);
  if (portOnly) return validPort(Number(portOnly[1])) ? { port: Number(portOnly[1]) } : undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      const port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
      return { host: unbracket(url.hostname), port };
    } catch {
      return undefined;
    }
  }
  const match = /^(\[[0-9a-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/i.exec(value);
  if (!match) return undefined;
  const port = Number(match[2]);
  const host = unbracket(match[1]!);
  if (!validPort(port) || (match[1]!.startsWith("[") && isIP(host) !== 6)) return undefined;
  return { host, port };
}

const validPort = (port: number): boolean => port >= 1 && port <= 65_535;

export const unbracket = (host: string): string => (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
