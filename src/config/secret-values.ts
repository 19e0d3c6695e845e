/**
 * What a secret in the config is, as values and keys (no config types): a value whose key is named like
 * a secret (token, secret, password, passwd, session, apiHash, apiKey, routingKey, in any case and anywhere in the
 * name: botToken, adminToken, secretKey), and the password of a URL (`scheme://user:password@host`).
 * A channel with credentials in its URL registers the password in the forms an error text may carry
 * (urlPasswords). secrets.ts applies these to a whole config.
 */
/** Shown instead of a secret that is not a bot token. */
export const MASK = "****";
/** Keys whose values are secrets wherever they appear (checked case-insensitively). */
const SECRET_KEY = /token|secret|password|passwd|session|apihash|apikey|routingkey/i;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@/\s]+)(@)/gi;

/** Whether a value under `key` is a secret, wherever in the config the key is. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `text` with the password of every URL in it masked: `smtp://user:****@host`. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${MASK}$3`);
}

/** The password of every `scheme://user:password@host` in `text`, as written. */
export function passwordsInUrls(text: string): string[] {
  return [...text.matchAll(URL_PASSWORD)].map((m) => m[2]!);
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
