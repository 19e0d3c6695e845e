/**
 * Every problem of a config in the words the user reads: `<key.path>: <what is wrong>`, with the value
 * they wrote (never a secret's), a did-you-mean for a mistyped key, in the order of the file. The admin
 * API validates its bodies with the same messages (validate).
 */
import type { Document, LineCounter } from "yaml";
import type { z } from "zod";
import { redactSecrets } from "../redact.ts";
import { nearest } from "./did-you-mean.ts";
import { describeValue } from "./duration.ts";
import { isSecretKey, maskUrlPasswords } from "./secrets.ts";

/** Every problem of a config file, each `<key.path>: <what is wrong>`; the CLI prints them and exits 2. */
export class ConfigError extends Error {
  readonly problems: string[];
  readonly source: string;

  constructor(source: string, problems: string[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`invalid config ${source} (${count}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.source = source;
    this.problems = problems;
  }
}

export type PathItem = string | number;
/** One problem: where (key path) and the line the user reads, `<key.path>: <what is wrong>`. */
export interface ConfigProblem {
  path: PathItem[];
  text: string;
}

/** `bots[2].checks.webhook.errorWindow`; keys that are not identifiers are quoted: `labels["a.b"]`. */
export function formatPath(keys: readonly PropertyKey[]): string {
  let out = "";
  for (const key of keys) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(top level)";
}

/**
 * Validates `data` against any schema with the messages the config uses, e.g. for the admin API's
 * 400 answers. Unknown keys give one problem each.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  data: unknown,
): { ok: true; value: z.output<S> } | { ok: false; problems: ConfigProblem[] } {
  const result = schema.safeParse(data, { reportInput: true, error: message });
  if (result.success) return { ok: true, value: result.data };
  const problems: ConfigProblem[] = [];
  for (const issue of result.error.issues) {
    const at = issue.path as PathItem[];
    if (issue.code === "unrecognized_keys")
      for (const key of issue.keys) problems.push({ path: [...at, key], text: shown(`${formatPath([...at, key])}: ${withSuggestion(issue.message, key)}`) });
    else problems.push({ path: at, text: shown(`${formatPath(at)}: ${withoutSecretValue(at, issue.message)}`) });
  }
  return { ok: false, problems };
}

/** `unknown key (allowed: host, port)` for `prot` → `unknown key, did you mean \`port\`? (allowed: host, port)`. */
function withSuggestion(text: string, key: string): string {
  const m = /^(unknown \w+) (\((?:allowed|known): (.*)\))$/.exec(text);
  const suggestion = m && nearest(key, m[3]!.split(", "));
  return suggestion ? `${m[1]}, did you mean \`${suggestion}\`? ${m[2]}` : text;
}

/** Problems are printed and logged: a secret the user mistyped must not be echoed back. */
function withoutSecretValue(at: PathItem[], text: string): string {
  const key = at[at.length - 1];
  const cut = text.indexOf(", got ");
  if (cut < 0 || typeof key !== "string") return text;
  // A key named like a secret, or a URL with credentials in it (user:password@host).
  const secret = isSecretKey(key) || (/url|root/i.test(key) && text.slice(cut).includes("@"));
  return secret ? `${text.slice(0, cut)} (the value is not shown)` : text;
}

/** A problem as it may be printed and logged: tokens and URL passwords masked. */
export function shown(text: string): string {
  return maskUrlPasswords(redactSecrets(text));
}


type RawIssue = z.core.$ZodRawIssue;
type AnySchema = { _zod: { def: { type: string; checks?: { _zod: { def: Record<string, unknown> } }[]; shape?: object } } };

/** The per-parse error map: what the user needs to fix it, with the value they wrote. */
function message(iss: RawIssue): string | undefined {
  const input = iss.input;
  const schema = ((iss as { schema?: unknown }).schema ?? iss.inst) as AnySchema | undefined;
  switch (iss.code) {
    case "invalid_type": {
      const what = expectedOf(iss.expected, schema);
      if (input === undefined) return `missing required key (expected ${what})`;
      const quoteHint = iss.expected === "string" && (typeof input === "number" || typeof input === "boolean") ? ` (quote it: "${String(input)}")` : "";
      return `expected ${what}, got ${describeValue(input)}${quoteHint}`;
    }
    case "too_small":
    case "too_big":
      if (iss.origin === "number" || iss.origin === "int") return `expected ${expectedOf("number", schema)}, got ${describeValue(input)}`;
      if (iss.origin === "string" && iss.code === "too_small" && Number(iss.minimum) === 1) return "must not be empty";
      if (iss.origin === "array" && iss.code === "too_small") return `expected at least ${String(iss.minimum)} item${Number(iss.minimum) === 1 ? "" : "s"}`;
      return undefined;
    case "invalid_value":
      return `expected ${iss.values.length === 1 ? JSON.stringify(iss.values[0]) : `one of ${iss.values.join(", ")}`}, got ${describeValue(input)}`;
    case "invalid_union": {
      const discriminator = (iss as { discriminator?: string }).discriminator;
      const options = (iss as { options?: unknown[] }).options;
      if (discriminator && options) {
        const value = input && typeof input === "object" ? (input as Record<string, unknown>)[discriminator] : undefined;
        if (input !== undefined && (input === null || typeof input !== "object")) return `expected a mapping, got ${describeValue(input)}`;
        return value === undefined ? `missing required key (expected one of ${options.join(", ")})` : `expected one of ${options.join(", ")}, got ${describeValue(value)}`;
      }
      return undefined;
    }
    case "unrecognized_keys": {
      const shape = schema?._zod.def.shape;
      return shape ? `unknown key (allowed: ${Object.keys(shape).join(", ")})` : "unknown key";
    }
    case "invalid_key":
      return iss.issues[0]?.message ?? undefined;
    case "invalid_format":
      if (iss.format === "regex") return `expected a value matching ${String(iss.pattern)}, got ${describeValue(input)}`;
      return `expected ${iss.format === "url" ? "a URL" : `a ${iss.format}`}, got ${describeValue(input)}`;
    default:
      return undefined;
  }
}

/** "a positive integer", "an integer from 0 to 65535", "a string", … */
function expectedOf(type: string | undefined, schema: AnySchema | undefined): string {
  switch (type) {
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "object":
    case "record":
    case "map":
      return "a mapping";
    case "array":
      return "a list";
    case "number":
    case "int":
      return describeNumber(schema);
    default:
      return type ? `a ${type}` : "a value";
  }
}

function describeNumber(schema: AnySchema | undefined): string {
  let integer = false;
  let min: number | undefined;
  let max: number | undefined;
  for (const check of schema?._zod.def.checks ?? []) {
    const def = check._zod.def;
    if (def.check === "number_format" && String(def.format).includes("int")) integer = true;
    if (def.check === "greater_than") min = Number(def.value) + (def.inclusive ? 0 : integer ? 1 : Number.MIN_VALUE);
    if (def.check === "less_than") max = Number(def.value) - (def.inclusive ? 0 : 1);
  }
  const noun = integer ? "integer" : "number";
  if (min !== undefined && max !== undefined) return `${integer ? "an" : "a"} ${noun} from ${min} to ${max}`;
  if (min !== undefined && min > 0 && min <= 1) return `a positive ${noun}`;
  if (min === 0) return `a non-negative ${noun}`;
  if (min !== undefined) return `${integer ? "an" : "a"} ${noun} of at least ${min}`;
  if (max !== undefined) return `${integer ? "an" : "a"} ${noun} of at most ${max}`;
  return integer ? "an integer" : "a number";
}

/** Problems in the order of the file, so the list reads top to bottom. */
export function sortByLine(problems: ConfigProblem[], doc: Document, lines: LineCounter): ConfigProblem[] {
  const lineOf = (keys: PathItem[]): number => {
    for (let n = keys.length; n > 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) return lines.linePos(node.range[0]).line;
    }
    return 0;
  };
  return problems
    .map((p, i) => ({ p, i, line: lineOf(p.path) }))
    .sort((a, b) => a.line - b.line || a.i - b.i)
    .map((x) => x.p);
}
