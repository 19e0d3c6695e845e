import { z } from "zod";
import { duration, formatDuration } from "./duration.ts";
import { configSchema } from "./schema.ts";

/**
 * JSON Schema of the config file for editors (`secretary-watch config schema`), generated from the
 * zod schema that validates it: the input side, so durations are strings like `10m` and defaults
 * are shown as one would write them. Rules across values (unique bot names, shard.index < count)
 * and `${VAR}` references in non-string fields are beyond it; `config check` has the last word.
 */
const DURATION_HINT = "a duration such as 500ms, 30s, 10m, 4h, 1d or 1h30m";

export function configJsonSchema(): object {
  const generated = z.toJSONSchema(configSchema, {
    io: "input",
    unrepresentable: "any",
    override(ctx) {
      const schema = ctx.jsonSchema as Record<string, unknown>;
      if (!isDuration(ctx.zodSchema)) return;
      const described = typeof schema.description === "string" ? schema.description : "";
      if (!described.includes(DURATION_HINT)) schema.description = described ? `${described} (${DURATION_HINT})` : DURATION_HINT;
      // zod leaves out defaults of transformed values on the input side: write them as durations.
      const def = ctx.zodSchema._zod.def as { type: string; defaultValue?: unknown };
      if (def.type === "default" && typeof def.defaultValue === "number") schema.default = formatDuration(def.defaultValue);
      else if (typeof schema.default === "number") schema.default = formatDuration(schema.default);
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: "secretary-watch configuration",
    ...rest,
  };
}

/** The duration schema itself, or a wrapper of it (default, refine-on-pipe, optional…). */
function isDuration(schema: unknown, depth = 0): boolean {
  if (schema === duration) return true;
  if (depth > 4 || !schema || typeof schema !== "object") return false;
  const def = (schema as { _zod?: { def?: { type?: string; innerType?: unknown; in?: unknown } } })._zod?.def;
  if (!def) return false;
  if (def.type === "default" || def.type === "prefault" || def.type === "optional") return isDuration(def.innerType, depth + 1);
  if (def.type === "pipe") return isDuration(def.in, depth + 1) || def.in === (duration._zod.def as { in: unknown }).in;
  return false;
}
