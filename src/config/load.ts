import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { CHECKS } from "../../checks/index.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import { mergeCheckOptions } from "../runner/check-options.ts";
import type { MonitoredBot } from "../model.ts";
import { maskToken, redactSecrets } from "../redact.ts";
import { nearest } from "./did-you-mean.ts";
import { describeValue } from "./duration.ts";
import { substituteEnv, type Env } from "./env.ts";
import { readJsonConfig } from "./json-fast-path.ts";
import { configSchema, crossFieldProblems, type Config } from "./schema.ts";

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

export const DEFAULT_CONFIG_PATH = "config/secretary-watch.yaml";

/** Where a config was found, or, when none was, where it was looked for (for the message that says so). */
export type ConfigLocation = { path: string } | { none: true; expected: string; looked: string[] };

/**
 * `--config PATH`, else SECRETARY_WATCH_CONFIG, else config/secretary-watch.yaml if present. Finding
 * none is not an error here: `start` runs the demo then, other commands refuse (see src/cli/).
 */
export function resolveConfigPath(args: { flag?: string | undefined; env: NodeJS.ProcessEnv; cwd: string }): ConfigLocation {
  if (args.flag) return { path: path.resolve(args.cwd, args.flag) };
  const fromEnv = args.env.SECRETARY_WATCH_CONFIG;
  if (fromEnv) return { path: path.resolve(args.cwd, fromEnv) };
  const conventional = path.join(args.cwd, DEFAULT_CONFIG_PATH);
  if (existsSync(conventional)) return { path: conventional };
  // In the image the conventional file is a link to the config mount: the mount is what is missing.
  const expected = linkTarget(conventional);
  const shown = expected === conventional ? conventional : `${conventional} → ${expected}`;
  return { none: true, expected, looked: ["--config (not given)", "$SECRETARY_WATCH_CONFIG (not set)", `${shown} (not found)`] };
}

function linkTarget(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? path.resolve(path.dirname(file), readlinkSync(file)) : file;
  } catch {
    return file;
  }
}

/** Files beside `expected` with the same name but another extension (`config.yml` for `config.yaml`): a likely misnaming. */
export function misnamedConfigs(expected: string): string[] {
  const stem = path.basename(expected).replace(/\.[^.]*$/, "");
  try {
    return readdirSync(path.dirname(expected))
      .filter((name) => name !== path.basename(expected) && name.replace(/\.[^.]*$/, "") === stem)
      .map((name) => path.join(path.dirname(expected), name));
  } catch {
    return [];
  }
}

export function loadConfigFile(file: string, env: Env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "not found" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(err);
    throw new ConfigError(file, [`config file ${file}: ${why}`]);
  }
  return parseConfig(text, env, file);
}

/** Parses, substitutes `${VAR}`, validates. Throws ConfigError with every problem found. */
export function parseConfig(text: string, env: Env, sourceName: string): Config {
  // A big generated config in JSON form is read without the YAML document (see readJsonConfig); any
  // problem in it is reported by the YAML path below, with line numbers.
  const json = readJsonConfig(text, env);
  if (json && crossFieldProblems(json.data).length === 0) {
    const result = validate(configSchema, json.data);
    if (result.ok) return result.value;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const [syntaxError] = doc.errors;
  if (syntaxError) {
    // Only the first: after a syntax error the parser's further complaints are mostly its echo.
    const { line, col } = lines.linePos(syntaxError.pos[0]);
    const hint = text.split("\n")[line - 1]?.includes("${") ? ' (inside { } or [ ], quote ${…} references: "${VAR}")' : "";
    throw new ConfigError(sourceName, [shown(`${sourceName}:${line}:${col}: ${syntaxError.message}${hint}`)]);
  }

  const envProblems = substituteEnv(doc, env);
  let data: unknown;
  try {
    // Aliases resolve here: an alias to an anchor that does not exist, or too many of them, throws.
    data = (doc.toJS({ maxAliasCount: 100 }) as unknown) ?? {};
  } catch (err) {
    throw new ConfigError(sourceName, [shown(`${sourceName}: ${(err as Error).message}`)]);
  }
  const result = validate(configSchema, data);
  const problems: ConfigProblem[] = [...envProblems, ...crossFieldProblems(data)].map((p) => ({
    path: p.path,
    text: `${formatPath(p.path)}: ${p.message}`,
  }));
  // A value whose variable is unset has no value to judge: the env problem says it all.
  const unset = (at: PathItem[]) => envProblems.some((e) => e.path.every((key, i) => at[i] === key));
  for (const problem of result.ok ? [] : result.problems)
    if (!unset(problem.path) && !problems.some((p) => p.text === problem.text)) problems.push(problem);
  if (problems.length > 0 || !result.ok) throw new ConfigError(sourceName, sortByLine(problems, doc, lines).map((p) => p.text));
  return result.value;
}

// ---------------------------------------------------------------------------------------------
// Validation messages

type PathItem = string | number;
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
  const secret = SECRET_KEY.test(key) || (/url|root/i.test(key) && text.slice(cut).includes("@"));
  return secret ? `${text.slice(0, cut)} (the value is not shown)` : text;
}

function shown(text: string): string {
  return redactSecrets(text).replace(URL_PASSWORD, `$1${MASK}$3`);
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
function sortByLine(problems: ConfigProblem[], doc: Document, lines: LineCounter): ConfigProblem[] {
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

// ---------------------------------------------------------------------------------------------
// What the rest of the product uses

/** The bots of the config file as the runner sees them, check options merged (defaults, then the bot's). */
export function resolveBots(config: Config, checks: CheckRegistry = CHECKS): MonitoredBot[] {
  return config.bots.map((bot) => ({
    name: bot.name,
    token: bot.token,
    username: bot.username.replace(/^@/, ""),
    ...(bot.botId ? { botId: bot.botId } : {}),
    ownerId: bot.owner.id,
    ...(bot.businessConnectionId ? { businessConnectionId: bot.businessConnectionId } : {}),
    probeChats: [...bot.probeChats],
    labels: { ...bot.labels },
    checks: mergeCheckOptions(checks, config.checks, bot.checks),
  }));
}

const MASK = "****";
/** Keys whose values are secrets wherever they appear (checked case-insensitively). */
const SECRET_KEY = /token|secret|password|passwd|session|apihash|apikey/i;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@/\s]+)(@)/gi;

/** The effective config for `config check`: bot tokens as `123456:****`, other secrets as `****`. */
export function maskConfig(config: Config): unknown {
  return maskValue(config, []);
}

function maskValue(value: unknown, at: PathItem[]): unknown {
  const key = at[at.length - 1];
  if (typeof value === "string") {
    if (value === "") return value;
    if (typeof key === "string" && SECRET_KEY.test(key)) return at[0] === "bots" && key === "token" ? maskToken(value) : MASK;
    return value.replace(URL_PASSWORD, `$1${MASK}$3`);
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
      if (value && key && SECRET_KEY.test(key)) found.add(value);
      for (const m of value.matchAll(URL_PASSWORD)) found.add(m[2]!);
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(config, undefined);
  return [...found];
}
