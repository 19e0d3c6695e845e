/**
 * Finding and reading the config file: where it is (flag, environment, convention), YAML or JSON,
 * `${VAR}` substitution, validation; every problem at once as a ConfigError (problems.ts). This is the
 * config's entry point: what the rest of the product needs from config/ is re-exported here.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { substituteEnv, type Env } from "./env.ts";
import { readJsonConfig } from "./json-fast-path.ts";
import { ConfigError, formatPath, shown, sortByLine, validate, type ConfigProblem, type PathItem } from "./problems.ts";
import { configSchema, crossFieldProblems, type Config } from "./schema.ts";

export { ConfigError, formatPath, validate, type ConfigProblem } from "./problems.ts";
export { resolveBots } from "./resolve-bots.ts";
export { configSecrets, maskConfig } from "./secrets.ts";

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
