import { isMap, isPair, isScalar, isSeq, parse as parseYaml, Scalar, visit, type Document } from "yaml";

/**
 * `${VAR}` and `${VAR:-default}` in YAML string values, replaced from an environment object. Done on
 * the parsed document (not the text), so a value can never break the YAML around it and every
 * problem knows its key path. `$${` writes a literal `${`. As in the shell, `${VAR:-default}` uses the
 * default when VAR is unset or empty. A plain (unquoted) scalar is typed again after substitution,
 * as YAML would have typed the result: `port: ${PORT}` with PORT=9464 is the number 9464.
 */

export interface EnvProblem {
  /** Key path of the value, e.g. ["bots", 0, "token"]. */
  path: (string | number)[];
  message: string;
}

export type Env = Record<string, string | undefined>;

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?/g;

/** Substitutes one string; problems are messages without the key path. */
export function substituteString(text: string, env: Env): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (match: string, name: string | undefined, fallback: string | undefined) => {
    if (match === "$${") return "${";
    if (name === undefined) {
      problems.push(`invalid reference ${JSON.stringify(match)}: write \${VAR} or \${VAR:-default} (or $\${ for a literal \${)`);
      return "";
    }
    const set = env[name];
    if (fallback !== undefined) return set ? set : fallback;
    if (set === undefined) {
      problems.push(`environment variable ${name} is not set`);
      return "";
    }
    return set;
  });
  return { value, problems };
}

/** Replaces references in every string value of `doc` (not in keys). Returns the problems found. */
export function substituteEnv(doc: Document, env: Env): EnvProblem[] {
  const problems: EnvProblem[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("${")) return;
      const result = substituteString(node.value, env);
      const path = keyPath(ancestors, node);
      for (const message of result.problems) problems.push({ path, message });
      if (result.value === node.value) return;
      node.value = node.type === Scalar.PLAIN ? retype(result.value) : result.value;
    },
  });
  return problems;
}

/** What YAML would make of `text` written as a plain scalar, limited to numbers and booleans. */
function retype(text: string): string | number | boolean {
  if (text.trim() === "") return text;
  try {
    const value: unknown = parseYaml(text);
    return typeof value === "number" || typeof value === "boolean" ? value : text;
  } catch {
    return text;
  }
}

/** ["bots", 0, "token"] for the node at the end of the visitor's ancestor chain. */
function keyPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(parent.items.findIndex((item) => item === child));
    else if (isPair(parent) && isMap(chain[i - 1]) && child === parent.value) {
      const key = parent.key;
      path.push(isScalar(key) ? String(key.value) : String(key));
    }
  }
  return path;
}
