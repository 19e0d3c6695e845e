import type { NextFunction, Request, Response } from "express";
import type { z } from "zod";
import { formatPath, validate } from "../config/load.ts";
import { RefusalError } from "../errors.ts";

/**
 * Waits until a change is committed (on disk): a crash right after a 2xx loses nothing. When the
 * state file cannot be written the answer is 503, never a 2xx: `undo` takes the change back where that
 * is possible (silences); other changes stay in effect and reach the disk when it is writable again,
 * which the message says.
 */
export async function committed(saved: Promise<unknown>, undo?: () => void): Promise<void> {
  try {
    await saved;
  } catch (err) {
    undo?.();
    const what = undo ? "nothing was changed" : "the change is in effect but not yet saved; it is saved when the file is writable again";
    // The code only (EROFS, ENOSPC): the error's message holds the file's path, which is for the log.
    const code = (err as NodeJS.ErrnoException).code ?? "write failed";
    throw new RefusalError(503, `the state file cannot be written (${code}): ${what}`, undefined, err);
  }
}

/** Validates with the config's messages; the first problem is the answer (its path is the field). */
export function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = validate(schema, data);
  if (result.ok) return result.value;
  const first = result.problems[0]!;
  const field = first.path.length > 0 ? formatPath(first.path) : "(body)";
  throw new RefusalError(400, result.problems.map((p) => p.text).join("; "), field);
}

export function param(req: Request, key: string): string {
  return String(req.params[key]);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

type Handler = (req: Request, res: Response) => Promise<void>;
/** Express 5 forwards rejected promises itself; the wrapper keeps handler types explicit. */
export const wrap = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);
