/**
 * What a secret in the config is, defined once for every place that must not show one: a value whose
 * key is named like a secret (token, secret, password, passwd, session, apiHash, apiKey, in any case and
 * anywhere in the name: botToken, adminToken, secretKey), and the password of a URL
 * (`scheme://user:password@host`). `config check` masks them (maskConfig), the process registers them
 * for redaction in logs, errors and answers (configSecrets, then registerSecret), config error messages
 * leave them out (problems.ts), and a channel with credentials in its URL registers the password in the
 * forms an error text may carry (urlPasswords).
 */
import { maskToken } from "../redact.ts";
import type { Config } from "./schema.ts";

/** Shown instead of a secret that is not a bot token. */
export const MASK = "****";
/** Keys whose values are secrets wherever they appear (checked case-insensitively). */
const SECRET_KEY = /token|secret|password|passwd|session|apihash|apikey/i;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@/\s]+)(@)/gi;

/** Whether a value under `key` is a secret, wherever in the config the key is. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `text` with the password of every URL in it masked: `smtp://user:****@host`. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${MASK}$3`);
}

/** `url`'s password as written and percent-decoded (an error text may quote either); none without one. */
export function urlPasswords(url: URL): string[] {
  return [...new Set([url.password, safeDecode(url.password)].filter((p) => p !== ""))];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

type PathItem = string | number;

/** The effective config for `config check`: bot tokens as `123456:****`, other secrets as `****`. */
export function maskConfig(config: Config): unknown {
  return maskValue(config, []);
}

function maskValue(value: unknown, at: PathItem[]): unknown {
  const key = at[at.length - 1];
  if (typeof value === "string") {
    if (value === "") return value;
    if (typeof key === "string" && isSecretKey(key)) return at[0] === "bots" && key === "token" ? maskToken(value) : MASK;
    return maskUrlPasswords(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => maskValue(v, [...at, i]));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, [...at, k])]));
  return value;
}

/** Every secret value in the config (tokens, keys, passwords in URLs), e.g. for `registerSecret`. */
export function configSecrets(config: Config): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key: string | undefined): void => {
    if (typeof value === "string") {
      if (value && key && isSecretKey(key)) found.add(value);
      for (const m of value.matchAll(URL_PASSWORD)) found.add(m[2]!);
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(config, undefined);
  return [...found];
}
