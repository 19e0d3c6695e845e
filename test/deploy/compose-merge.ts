/**
 * What `docker compose -f base.yml -f over.yml` makes of two files, for the keys this repository's
 * compose files use (no Compose here: the CLI has no compose plugin and no engine runs). The rules are
 * the Compose specification's merge rules: mappings merge key by key; `environment` and `depends_on`
 * by key (short forms turned into long ones); `volumes` by container path; `ports` as a union;
 * `command`, `entrypoint` and a health check's `test` are replaced; other lists are appended; a value
 * tagged `!override` replaces the base's and one tagged `!reset` removes it.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";

class Override {
  readonly value: unknown;
  constructor(value: unknown) {
    this.value = value;
  }
}
class Reset {}

/** A compose file as plain data, its `!override` and `!reset` values marked. */
export function parseCompose(text: string): Record<string, any> {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("; "));
  return convert(doc.contents) as Record<string, any>;
}

function convert(node: unknown): unknown {
  let value: unknown;
  if (isMap(node)) value = Object.fromEntries(node.items.map((pair) => [String(isScalar(pair.key) ? pair.key.value : pair.key), convert(pair.value)]));
  else if (isSeq(node)) value = node.items.map(convert);
  else if (isScalar(node)) value = node.value;
  else value = node ?? null;
  const tag = (node as Node | null)?.tag;
  return tag === "!override" ? new Override(value) : tag === "!reset" ? new Reset() : value;
}

/** The merge of `over` onto `base` (each from parseCompose); the result has no marks left. */
export function mergeCompose(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const services: Record<string, any> = { ...unmark(base.services ?? {}) };
  for (const [name, service] of Object.entries(over.services ?? {}) as Array<[string, Record<string, any>]>)
    services[name] = name in services ? mergeService(services[name], service) : unmark(service);
  const { services: _b, ...baseRest } = base;
  const { services: _o, ...overRest } = over;
  return { ...(merge(baseRest, overRest) as Record<string, any>), services };
}

function mergeService(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const result: Record<string, any> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value instanceof Reset) delete result[key];
    else if (value instanceof Override || !(key in base)) result[key] = unmark(value);
    else if (key === "environment") result[key] = { ...keyed(base[key]), ...keyed(unmark(value)) };
    else if (key === "depends_on") result[key] = { ...longDependsOn(base[key]), ...longDependsOn(unmark(value)) };
    else if (key === "volumes") {
      const targets = new Set((value as string[]).map(volumeTarget));
      result[key] = [...(base[key] as string[]).filter((v) => !targets.has(volumeTarget(v))), ...(value as string[])];
    } else if (key === "ports") result[key] = [...new Set([...(base[key] as unknown[]).map(String), ...(value as unknown[]).map(String)])];
    else if (key === "command" || key === "entrypoint") result[key] = unmark(value);
    else if (key === "healthcheck") result[key] = { ...base[key], ...(unmark(value) as object) };
    else result[key] = merge(base[key], value);
  }
  return result;
}

function merge(base: unknown, over: unknown): unknown {
  if (over instanceof Reset) return undefined;
  if (over instanceof Override) return unmark(over.value);
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over.map(unmark)];
  if (isPlain(base) && isPlain(over)) {
    const result: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) {
      const merged = key in base ? merge(base[key], value) : unmark(value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
    return result;
  }
  return unmark(over);
}

function unmark(value: unknown): any {
  if (value instanceof Override) return unmark(value.value);
  if (Array.isArray(value)) return value.map(unmark);
  if (isPlain(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => !(v instanceof Reset)).map(([k, v]) => [k, unmark(v)]));
  return value;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Override) && !(v instanceof Reset);
/** `KEY=value` list or mapping → mapping. */
const keyed = (env: unknown): Record<string, unknown> =>
  Array.isArray(env) ? Object.fromEntries(env.map((e: string) => [e.split("=")[0], e.includes("=") ? e.slice(e.indexOf("=") + 1) : null])) : ((env as Record<string, unknown>) ?? {});
/** `depends_on: [a]` → `{ a: { condition: service_started } }`. */
const longDependsOn = (d: unknown): Record<string, unknown> =>
  Array.isArray(d) ? Object.fromEntries(d.map((name: string) => [name, { condition: "service_started" }])) : ((d as Record<string, unknown>) ?? {});
/** The container path of a short-syntax volume (`source:target[:mode]`, or a bare anonymous `target`). */
const volumeTarget = (v: string) => {
  const parts = v.split(":");
  return parts.length === 1 ? parts[0]! : parts[1]!;
};
