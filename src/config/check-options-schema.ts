import { z } from "zod";
import type { CheckOptions } from "../../checks/index.ts";
import type { CheckOptionsById } from "../check-model.ts";
import type { MonitoredBot } from "../model.ts";
import type { AnyCheck, CheckRegistry } from "../runner/define-check.ts";

/**
 * The checks' part of the configuration, from a check registry: `checks.<id>` is that check's own
 * `options` schema (`enabled` included), defaulted; `bots[].checks.<id>` the same options, each one
 * optional and without defaults, so only what a bot overrides is kept.
 */

/** A bot's overrides: per check id, the options it sets. */
export type CheckOverrides = MonitoredBot["checks"];

const unknownCheck = (known: readonly string[]) => (iss: { code?: string }) =>
  iss.code === "unrecognized_keys" ? `unknown check (known: ${known.join(", ")})` : undefined;

/** The same options with every field optional and no defaults. */
function overrides(options: z.ZodObject): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(options.shape)) {
    let inner = field as z.ZodType;
    const def = inner._zod.def as { type: string; innerType?: z.ZodType };
    if ((def.type === "default" || def.type === "prefault") && def.innerType) inner = def.innerType;
    shape[key] = inner.optional();
  }
  const partial = z.strictObject(shape);
  return options.description ? partial.describe(options.description) : partial;
}

/*
 * The shapes are built from a runtime list, so zod types them per string key; their output is, by
 * construction, the registry's options per check id: the casts below say so, once, for the config.
 */

/** `checks`: every registered check's options, each defaulted from its own schema. */
export function checkDefaultsSchema(registry: CheckRegistry): z.ZodType<CheckOptions, Record<string, Record<string, unknown>>> {
  const ids = registry.map((c) => c.id);
  return z
    .strictObject(Object.fromEntries(registry.map((c) => [c.id, c.options.prefault({})])), { error: unknownCheck(ids) })
    .describe("Check options; a bot may override any of them under bots[].checks") as unknown as z.ZodType<
    CheckOptions,
    Record<string, Record<string, unknown>>
  >;
}

/** `bots[].checks`: what one bot overrides of them. */
export function checkOverridesSchema(registry: CheckRegistry): z.ZodType<CheckOverrides, Record<string, Record<string, unknown>>> {
  const ids = registry.map((c) => c.id);
  return z
    .strictObject(Object.fromEntries(registry.map((c) => [c.id, overrides(c.options).optional()])), { error: unknownCheck(ids) })
    .describe("This bot's overrides of the check options under checks") as unknown as z.ZodType<
    CheckOverrides,
    Record<string, Record<string, unknown>>
  >;
}

/** The first check that needs the test account and is enabled for some bot (its override, else the default). */
export function checkNeedingTestAccount(
  registry: CheckRegistry,
  defaults: CheckOptionsById,
  bots: readonly { checks: CheckOptionsById }[],
): AnyCheck | undefined {
  return registry.find(
    (check) => check.needsTestAccount && bots.some((b) => b.checks[check.id]?.enabled ?? check.optionsFor(defaults).enabled),
  );
}

/** The ids of the checks that need the test account, for its description. */
export const testAccountUsers = (registry: CheckRegistry): string =>
  registry
    .filter((c) => c.needsTestAccount)
    .map((c) => c.id)
    .join(", ");
