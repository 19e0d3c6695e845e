/**
 * The addresses of a webhook's host, as the DNS answers them: what Telegram resolves before it delivers.
 * A name the DNS says does not exist is the bot's problem; a DNS server this monitor cannot reach, or
 * that does not answer in time, says nothing about the bot.
 */
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";

/** How names are looked up: node's DNS resolver by default; tests and `resolver` options give their own. */
export interface HostResolver {
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
}

export type Resolution =
  | { kind: "addresses"; addresses: string[] }
  /** NXDOMAIN, or a name without A and AAAA records. */
  | { kind: "no-such-name"; code: string }
  /** The monitor's side: no DNS server reachable, no answer in time, a server failure. */
  | { kind: "unreachable"; code: string };

/** The DNS answers "no such name" or "no addresses for it" (c-ares codes). */
const NO_SUCH_NAME = new Set(["ENOTFOUND", "ENODATA", "NXDOMAIN"]);

/** The system's DNS servers, asked directly (not /etc/hosts: Telegram does not see this machine's hosts file). */
export function systemResolver(timeoutMs: number): HostResolver {
  // c-ares' timeout is per try and doubles with each; two tries stay within the check's budget.
  return new Resolver({ timeout: Math.max(1, Math.floor(timeoutMs / 3)), tries: 2 });
}

/** The A and AAAA addresses of `host` (an IP literal is its own address), within `timeoutMs`. */
export async function resolveHost(host: string, resolver: HostResolver, timeoutMs: number): Promise<Resolution> {
  if (isIP(host)) return { kind: "addresses", addresses: [host] };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Resolution>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "unreachable", code: "ETIMEOUT" }), timeoutMs);
  });
  try {
    return await Promise.race([lookupBoth(host, resolver), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function lookupBoth(host: string, resolver: HostResolver): Promise<Resolution> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [v4, v6].flatMap((r) => (r.status === "fulfilled" ? r.value : []));
  if (addresses.length > 0) return { kind: "addresses", addresses };
  const codes = [v4, v6].map((r) => (r.status === "rejected" ? errorCode(r.reason) : "ENODATA"));
  // Only when every question got a definite "no" does the name not exist; one unanswered question leaves it open.
  const open = codes.find((code) => !NO_SUCH_NAME.has(code));
  return open ? { kind: "unreachable", code: open } : { kind: "no-such-name", code: codes.includes("ENOTFOUND") ? "ENOTFOUND" : codes[0]! };
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EUNKNOWN";
}
