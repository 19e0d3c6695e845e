/**
 * Keeps bot tokens and other secrets out of every string the product shows: logs, errors,
 * responses, pages, metrics. Two nets: the token *shape* (`<bot id>:<secret>`, also inside
 * `/bot<token>/` URLs), and the exact values the process knows are secret (configured tokens,
 * admin token, SMTP passwords), which catches secrets of any shape. Both nets also look inside
 * percent-encoded text (`7000001%3Asecret`, or every character encoded), as URLs carry tokens.
 */

const TOKEN_SHAPE = /\b(\d{5,}):(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}/g;
/** `/bot<token>`: a token starts with the bot's numeric id, so `/bots/anna` (our own routes) is left alone. */
const BOT_URL_PATH = /\/bot(?=\d)[^/\s?#]+/g;
/** A run of URL characters; only runs with a percent escape are decoded. Linear: the branches start differently. */
const URL_RUN = /(?:%[0-9A-Fa-f]{2}|[\w.~:+!*'()-])+/g;
/** Percent-decoding rounds tried on one run (a token encoded twice reads `%253A`). */
const MAX_DECODINGS = 3;

const known = new Set<string>();
let knownPattern: RegExp | undefined;

/** Shown instead of a token: the public bot id and stars, e.g. `123456:****`. */
export function maskToken(token: string): string {
  const id = /^(\d+):/.exec(token)?.[1];
  return id ? `${id}:****` : "****";
}

/** Registers a value that must never be shown. Short values are ignored (they would mask prose). */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 6 || known.has(value)) return;
  known.add(value);
  knownPattern = undefined;
}

export function forgetSecret(value: string): void {
  if (known.delete(value)) knownPattern = undefined;
}

export function redactSecrets(text: string): string {
  const out = redactPlain(text);
  return out.includes("%") ? out.replace(URL_RUN, redactEncoded) : out;
}

/**
 * Every string inside a value from outside (a Bot API result) redacted, the rest as it was: what
 * Telegram returns (a webhook URL, its last error, a name) can hold a token, and is shown and stored.
 * Copy on write: a value with nothing to mask comes back as it was (every Bot API answer the monitor
 * reads goes through here, and almost none holds a secret), a changed one as a copy.
 */
export function redactStrings<T>(value: T): T {
  if (typeof value === "string") return (value.length < SHORTEST_SECRET ? value : redactSecrets(value)) as T;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (redactStrings(value[i]) !== value[i]) return value.map(redactStrings) as T;
    return value;
  }
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      // fromEntries defines each key as an own field, so a `__proto__` key from JSON stays a plain field.
      if (redactStrings(item) !== item) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)])) as T;
    }
  }
  return value;
}

/**
 * No secret fits in fewer characters: known ones are at least 6 (registerSecret), a token's shape 14, a
 * `/bot<id>` path 5, and a percent-encoded one is longer than itself.
 */
const SHORTEST_SECRET = 5;

function redactPlain(text: string): string {
  const out = text.replace(BOT_URL_PATH, "/bot****").replace(TOKEN_SHAPE, "$1:****");
  return known.size > 0 ? maskKnown(out) : out;
}

/** A percent-encoded run, decoded and masked when it hides a secret; otherwise left as it was. */
function redactEncoded(run: string): string {
  let decoded = run;
  for (let round = 0; round < MAX_DECODINGS && decoded.includes("%"); round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return run;
    }
    if (next === decoded) return run;
    decoded = next;
    const masked = redactPlain(decoded);
    if (masked !== decoded) return masked;
  }
  return run;
}

/** One alternation of every known secret: V8 matches 10,000 registered tokens in about the time of one. */
function maskKnown(text: string): string {
  // Longest first: an alternation takes the first that matches, and a secret that begins with another
  // (a webhook URL and its token part) would otherwise be masked only as far as the shorter one.
  knownPattern ??= new RegExp([...known].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g");
  return text.replace(knownPattern, (secret) => maskToken(secret));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
