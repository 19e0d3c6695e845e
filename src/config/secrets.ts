/**
 * What a secret in the config is, defined once for every place that must not show one: a value whose
 * key is named like a secret (token, secret, password, passwd, session, apiHash, apiKey, routingKey, in any case and
 * anywhere in the name: botToken, adminToken, secretKey), and the password of a URL
 * (`scheme://user:password@host`). `config check` masks them (maskConfig), the process registers them
 * for redaction in logs, errors and answers (configSecrets, then registerSecret), config error messages
 * leave them out (problems.ts), and a channel with credentials in its URL registers the password in the
 * forms an error text may carry (urlPasswords). A channel option that is a credential by its field
 * rather than its name (a chat webhook URL: `credentialUrl` in fields.ts) is a secret too, shown by
 * `config check` as its origin only. Named admin tokens (server.adminTokens) are secrets by their place;
 * basic-auth hashes are masked by `config check` (a hash can be attacked offline) but are not secrets a log could leak.
 */
import type { z } from "zod";
import { CHANNELS } from "../alerts/channels/index.ts";
import { maskToken } from "../redact.ts";
import { isCredentialField } from "./fields.ts";
import type { Config } from "./schema.ts";
import { isSecretKey, MASK, maskUrlPasswords, passwordsInUrls } from "./secret-values.ts";

export { isSecretKey, MASK, maskUrlPasswords, urlPasswords } from "./secret-values.ts";

type PathItem = string | number;

/** Per channel type, its options that are credentials by their field (credentialUrl), not by their name. */
const CREDENTIAL_OPTIONS = new Map<string, string[]>(
  CHANNELS.map((d) => [d.type, Object.entries(d.options.shape as Record<string, z.ZodType>).filter(([, field]) => isCredentialField(field)).map(([key]) => key)]),
);

/** The values of channel options that are credentials by their field: a chat webhook's URL. */
function channelCredentials(config: Config): Array<{ channel: string; key: string; value: string }> {
  return Object.entries(config.alerts.channels).flatMap(([channel, options]) =>
    (CREDENTIAL_OPTIONS.get(options.type) ?? []).flatMap((key) => {
      const value = (options as Record<string, unknown>)[key];
      return typeof value === "string" && value !== "" ? [{ channel, key, value }] : [];
    }),
  );
}

/** The effective config for `config check`: bot tokens as `123456:****`, other secrets as `****`, credential URLs as their origin. */
export function maskConfig(config: Config): unknown {
  const masked = maskValue(config, []) as { alerts: { channels: Record<string, Record<string, unknown>> } };
  for (const { channel, key, value } of channelCredentials(config)) masked.alerts.channels[channel]![key] = `${new URL(value).origin}/${MASK}`;
  return masked;
}

/** Values that are secrets by where they are, not by their key's name: named admin tokens, basic-auth hashes. */
const isSecretPlace = (at: PathItem[]) => at.length === 3 && at[0] === "server" && at[1] === "adminTokens";
const isHashPlace = (at: PathItem[]) => at.length === 4 && at[0] === "server" && at[1] === "auth" && at[2] === "users";

function maskValue(value: unknown, at: PathItem[]): unknown {
  const key = at[at.length - 1];
  if (typeof value === "string") {
    if (value === "") return value;
    if (isSecretPlace(at) || isHashPlace(at)) return MASK;
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
      for (const password of passwordsInUrls(value)) found.add(password);
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(config, undefined);
  for (const { value } of channelCredentials(config)) found.add(value);
  for (const token of Object.values(config.server.adminTokens)) found.add(token);
  return [...found];
}
