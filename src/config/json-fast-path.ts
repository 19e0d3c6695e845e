import { substituteString, type Env } from "./env.ts";

/**
 * JSON is YAML too, and a config for thousands of bots is usually generated, often as JSON. Read
 * through the YAML document model, 10,000 bots (2 MB) take about a second and grow the heap by some
 * 120 MB of parse tree, which V8 keeps as resident memory long after it is garbage. `JSON.parse`
 * takes 50 ms and a tenth of the memory.
 *
 * This is only the reading: `${VAR}` references are substituted as in YAML's double-quoted strings
 * (every JSON string is one, so nothing is retyped), and the caller validates. Whenever the answer
 * could differ from the YAML reading (not JSON, a key repeated in an object, an unset variable) it
 * returns undefined and the caller takes the YAML path, whose messages carry line numbers.
 */
export function readJsonConfig(text: string, env: Env): { data: unknown } | undefined {
  if (!/^\s*\{/.test(text)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  // JSON.parse keeps the last of repeated keys where YAML refuses them: count what was written.
  if (members(data) !== keySeparators(text)) return undefined;
  return substitute(data, env) ? { data } : undefined;
}

/** Replaces references in every string value (not keys), in place; false when one cannot be resolved. */
function substitute(value: unknown, env: Env): boolean {
  if (!value || typeof value !== "object") return true;
  // Arrays too: their indices are their keys.
  const container = value as Record<string, unknown>;
  for (const key of Object.keys(container)) {
    const item = container[key];
    if (typeof item !== "string") {
      if (!substitute(item, env)) return false;
    } else if (item.includes("${")) {
      const result = substituteString(item, env);
      if (result.problems.length > 0) return false;
      container[key] = result.value;
    }
  }
  return true;
}

/** Object members in the parsed value. */
function members(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + members(item), 0);
  if (!value || typeof value !== "object") return 0;
  let n = 0;
  for (const item of Object.values(value)) n += 1 + members(item);
  return n;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Colons outside strings in valid JSON text: one per object member written. */
function keySeparators(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === COLON) n++;
  }
  return n;
}
