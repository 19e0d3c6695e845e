/**
 * Keeps bot tokens and other secrets out of every string the product shows: logs, errors,
 * responses, pages, metrics. Two nets: the token *shape* (`<bot id>:<secret>`, also inside
 * `/bot<token>/` URLs), and the exact values the process knows are secret (configured tokens,
 * admin token, SMTP passwords), which catches secrets of any shape.
 */

const TOKEN_SHAPE = /\b(\d{5,}):(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}/g;
const BOT_URL_PATH = /\/bot[^/\s?#]+/g;

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
  let out = text.replace(BOT_URL_PATH, "/bot****").replace(TOKEN_SHAPE, "$1:****");
  if (known.size > 0) {
    knownPattern ??= new RegExp([...known].map(escapeRegExp).join("|"), "g");
    out = out.replace(knownPattern, (secret) => maskToken(secret));
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
