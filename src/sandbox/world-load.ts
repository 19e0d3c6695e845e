/**
 * Reading a world: validation against world-schema.ts, and the one error every refusal of world input
 * becomes (a WorldError with the HTTP status the control API answers with, naming each key path at fault).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { worldSchema } from "./world-schema.ts";
import type { WorldSpec } from "./world-schema.ts";

/** An error with the HTTP status the control API should answer with. */
export class WorldError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "WorldError";
    this.status = status;
  }
}

/** `bots[0].webhook.url: …`, one issue per unknown key; `root` names an empty path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], root = "world"): string {
  return issues
    .flatMap((issue) => {
      const at = keyPath(issue.path);
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => `${keyPath([...issue.path, k])}: unknown key`);
      }
      return [`${at || root}: ${issue.message}`];
    })
    .join("; ");
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}

/** Parses `input` with `schema`, or throws a 400 WorldError whose message names every key path at fault. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new WorldError(400, formatIssues(r.error.issues, root));
  return r.data;
}

/** Validates a world (already parsed from YAML/JSON); throws WorldError listing every key path at fault. */
export function parseWorld(input: unknown): WorldSpec {
  return validate(worldSchema, input, "world");
}

export function loadWorldFile(path: string): WorldSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new WorldError(400, `${path}: cannot read world file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new WorldError(400, `${path}: invalid YAML: ${(err as Error).message}`);
  }
  try {
    return parseWorld(doc ?? {});
  } catch (err) {
    throw new WorldError(400, `${path}: ${(err as Error).message}`);
  }
}
