/** Just enough of Docker's file formats to test ours: Dockerfile instructions and .dockerignore matching. */

export interface Instruction {
  keyword: string;
  /** The arguments as written, continuation lines joined. */
  args: string;
  /** Exec form (`["a", "b"]`) parsed; undefined for shell form. */
  exec?: string[];
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (full === "") continue;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (!m) throw new Error(`not an instruction: ${full}`);
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, " ").trim(), exec: execForm(m[2]!) });
  }
  return out;
}

function execForm(args: string): string[] | undefined {
  const text = args.trim();
  if (!text.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const i of instructions) {
    if (i.keyword === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      if (!m) throw new Error(`FROM ${i.args}`);
      out.push({ image: m[1]!, name: m[2], instructions: [] });
    } else {
      if (out.length === 0) throw new Error(`${i.keyword} before FROM`);
      out.at(-1)!.instructions.push(i);
    }
  }
  return out;
}

/** `--name=value` options at the start of an instruction's arguments, and what follows them. */
export function options(args: string): { options: Record<string, string>; rest: string } {
  const opts: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([\w-]+)=(\S+)\s*/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    opts[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  return { options: opts, rest };
}

/**
 * Whether Docker leaves `path` (relative to the context) out of the build context: the last
 * .dockerignore pattern matching the path or one of its parent folders decides; `!` re-includes.
 */
export function dockerIgnores(ignoreFile: string, path: string): boolean {
  const patterns = ignoreFile
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, "");
    const re = globToRegExp(pattern);
    if (candidates.some((c) => re.test(c))) excluded = !negate;
  }
  return excluded;
}

/** Go's filepath.Match plus `**`, as Docker uses them. */
function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
