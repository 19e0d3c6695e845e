import { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.ts";
import { configJsonSchema } from "./json-schema.ts";

type JsonSchema = {
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/**
 * The effective config with its durations as one writes them (`30s`, `1h30m`) instead of the
 * milliseconds the service works with, for `config check`. Which keys are durations is read from the
 * config's JSON Schema (its input side), so every duration the schema knows is covered. `written` is
 * the file as parsed, before defaults: a duration is shown as it is written there (`60s` stays `60s`),
 * else (a default, a `${VAR}`) in its shortest form (`1m`).
 */
export function withDurationsWritten(config: unknown, written?: unknown): unknown {
  return rewrite(config, configJsonSchema() as JsonSchema, written);
}

function rewrite(value: unknown, schema: JsonSchema | undefined, written: unknown): unknown {
  if (!schema) return value;
  const variants = [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  if (typeof value === "number" && variants.some((s) => s.pattern === DURATION_PATTERN.source))
    return typeof written === "string" && parseDuration(written) === value ? written : formatDuration(value);
  const at = (key: string | number): unknown => (written && typeof written === "object" ? (written as Record<string | number, unknown>)[key] : undefined);
  if (Array.isArray(value)) return value.map((item, i) => rewrite(item, variants.find((s) => s.items)?.items, at(i)));
  if (value && typeof value === "object") {
    const child = (key: string): JsonSchema | undefined => {
      for (const s of variants) {
        const sub = s.properties?.[key] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
        if (sub) return sub;
      }
      return undefined;
    };
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, rewrite(v, child(key), at(key))]));
  }
  return value;
}
