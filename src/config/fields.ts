/**
 * Building blocks of the config schema shared by its sections, the checks' and the channels' options:
 * messages that name the value the user wrote, URL fields, secrets, and the duration units. Nothing
 * here imports a section, so any part of the schema (or a plug-in's options) can use it.
 */
import { z } from "zod";
import { describeValue } from "./duration.ts";

type Issue = { input?: unknown };
const got = (iss: Issue) => describeValue(iss.input);
/** A message for values that are present but wrong; a missing key keeps the generic "missing required key". */
export const expected = (what: string) => (iss: Issue) => (iss.input === undefined ? undefined : `expected ${what}, got ${got(iss)}`);

export const NAME = /^[a-z0-9_-]+$/;
export const CHANNEL_NAME = /^[A-Za-z0-9_-]+$/;
export const USERNAME = /^@?[A-Za-z0-9_]+$/;
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

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const DAY = 24 * 60 * MINUTE;

export const secret = (description: string) => z.string().default("").describe(description);
