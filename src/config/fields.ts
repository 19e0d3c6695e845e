import { z } from "zod";
import { describeValue } from "./duration.ts";

/**
 * Field schemas and messages shared by the config's sections and the plug-ins that bring their own
 * options (channels): the same value is refused with the same words wherever it appears.
 */

type Issue = { input?: unknown };
/** A message for values that are present but wrong; a missing key keeps the generic "missing required key". */
export const expected = (what: string) => (iss: Issue) => (iss.input === undefined ? undefined : `expected ${what}, got ${describeValue(iss.input)}`);

export const DEFAULT_API_ROOT = "https://api.telegram.org";

export function isUrl(text: string, protocols: readonly string[]): boolean {
  if (!URL.canParse(text)) return false;
  return protocols.includes(new URL(text).protocol);
}

/** An http(s) URL without trailing slash, refused with the fix in the message (as grammY does). */
export const apiRoot = z.string({ error: expected("an http(s) URL such as https://api.telegram.org") }).check((ctx) => {
  const value = ctx.value;
  if (!isUrl(value, ["http:", "https:"]))
    ctx.issues.push({ code: "custom", input: value, message: `expected an http(s) URL such as ${DEFAULT_API_ROOT}, got ${describeValue(value)}` });
  else if (value.endsWith("/"))
    ctx.issues.push({ code: "custom", input: value, message: `remove the trailing "/" (use ${JSON.stringify(value.replace(/\/+$/, ""))} instead)` });
});

export const httpUrl = (example: string) =>
  z.string().refine((v) => isUrl(v, ["http:", "https:"]), { error: expected(`an http(s) URL such as ${example}`) });

/** The fields whose value is a credential though its key is not named like one (config/secrets.ts). */
const credentials = z.registry<{ credential: true }>();

/**
 * An http(s) URL that is itself the credential (a Slack, Discord or Teams webhook: whoever has it can
 * post): `config check` shows only its origin, and the process treats it as a secret.
 */
export const credentialUrl = (example: string, description: string) => {
  // A mistyped one still holds the token: the problem names the key, never the value.
  const notShown = (iss: Issue) => (iss.input === undefined ? undefined : `expected an http(s) URL such as ${example} (the value is not shown)`);
  const field = z.string({ error: notShown }).refine((v) => isUrl(v, ["http:", "https:"]), { error: notShown }).describe(description);
  credentials.add(field, { credential: true });
  return field;
};

export function isCredentialField(field: z.ZodType): boolean {
  return credentials.has(field);
}

/** A secret string, empty when not set. */
export const secret = (description: string) => z.string().default("").describe(description);
