import { isIP } from "node:net";
import { z } from "zod";
import { describeValue } from "./duration.ts";

/**
 * One entry of `server.trustProxy`: an IP (`10.0.0.7`, `::1`), a CIDR (`10.0.0.0/8`, `fd00::/8`) or one
 * of the ranges Express names (`loopback`, `linklocal`, `uniquelocal`). Checked here so that a typo is a
 * config error naming the entry, not a throw from Express at start.
 */

const NAMED_RANGES = ["loopback", "linklocal", "uniquelocal"] as const;

/** True when `text` is an address or a range Express's `trust proxy` accepts as we document it. */
export function isProxyAddress(text: string): boolean {
  if ((NAMED_RANGES as readonly string[]).includes(text)) return true;
  const slash = text.indexOf("/");
  if (slash < 0) return isIP(text) !== 0;
  const version = isIP(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  if (version === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

export const proxyAddress = z.string().refine(isProxyAddress, {
  error: (iss) => `expected an IP address, a CIDR such as 10.0.0.0/8, or one of ${NAMED_RANGES.join(", ")}; got ${describeValue(iss.input)}`,
});
