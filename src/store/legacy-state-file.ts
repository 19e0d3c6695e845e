import { closeSync, openSync, readSync } from "node:fs";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { z } from "zod";

/**
 * The state file of the earlier lowdb format (releases before the database; README, "Storage and history"), read once for the
 * import into the database. Its shape is described here on its own, not borrowed from the store's
 * types: those move with the store, this format is frozen. What the database keeps as JSON whole (a
 * bot's config and result, an alert state, a notification's message) is read loose: every field it
 * carries is kept, known or not, so an import loses nothing the file held.
 */
const iso = z.string().min(1);
const json = z.looseObject({});

const checkResult = z.looseObject({ check: z.string(), status: z.string(), at: iso, since: iso });
const botStatus = z.looseObject({ name: z.string(), username: z.string(), health: z.string(), since: iso, checkedAt: iso, checks: z.array(checkResult), observed: json });
const alertState = z.looseObject({
  badStreak: z.number().int().nonnegative(),
  badSince: iso.nullable(),
  badWorst: z.string().nullable(),
  goodStreak: z.number().int().nonnegative(),
  firing: z.looseObject({ since: iso, severity: z.string(), notified: json.nullable() }).nullable(),
});
const outboxEntry = z.object({
  id: z.string().min(1),
  channel: z.string().min(1),
  message: z.looseObject({ key: z.string(), kind: z.string() }),
  createdAt: iso,
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: z.number(),
  lastError: z.string().optional(),
});
const silence = z.object({ id: z.string().min(1), matchers: z.record(z.string(), z.string()), startsAt: iso, endsAt: iso, reason: z.string(), createdBy: z.string().optional() });
const storedBot = z.object({ config: z.looseObject({ name: z.string() }), sealedToken: z.string().min(1), createdAt: iso, updatedAt: iso });

export const legacyStateSchema = z.object({
  version: z.literal(1),
  results: z.record(z.string(), botStatus).default({}),
  alerts: z.record(z.string(), alertState).default({}),
  outbox: z.array(outboxEntry).default([]),
  silences: z.array(silence).default([]),
  bots: z.record(z.string(), storedBot).default({}),
  connections: z.record(z.string(), z.string()).default({}),
});

export type LegacyState = z.infer<typeof legacyStateSchema>;

/** True when `path` holds JSON (its first non-blank byte is `{`): the earlier format, not a database. */
export function isLegacyStateFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(64);
    const read = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, read).toString("utf8").trimStart().startsWith("{");
  } finally {
    closeSync(fd);
  }
}

/** Reads and checks the earlier state file through lowdb. Null when there is none; a clear error naming the file and the field otherwise. */
export async function readLegacyStateFile(path: string): Promise<LegacyState | null> {
  const db = new Low<unknown>(new JSONFile<unknown>(path), null);
  try {
    await db.read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    // V8's JSON message quotes the file's text (sealed tokens, alert state): say where, not what.
    const cause = err instanceof SyntaxError ? "not valid JSON" : ((err as NodeJS.ErrnoException).code ?? "cannot be read");
    throw new Error(`state file ${path}: ${cause}; move it aside to start with an empty database`, { cause: err });
  }
  if (db.data === null) return null;
  const parsed = legacyStateSchema.safeParse(db.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`state file ${path}: not a secretary-watch state file of the earlier format: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}
