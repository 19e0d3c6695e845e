import type pg from "pg";
import { withSweep } from "../sqlite/sweep-rows.ts";
import type { StateSlices } from "../sqlite/state-rows.ts";

/**
 * The state slices as rows on PostgreSQL: the same tables and the same row shapes as on SQLite
 * (src/store/sqlite/state-rows.ts), written whole and read whole. `results` rows carry their sweep time
 * in `bot_sweeps`, refreshed on its own in batches (the `sweeps` pseudo-slice).
 */
export type SliceName = "results" | "alerts" | "outbox" | "silences" | "bots" | "connections";
type Query = Pick<pg.PoolClient, "query">;
type Row = Record<string, unknown>;
const parse = <T>(text: unknown): T => JSON.parse(text as string) as T;

const sweepMs = (bot: string, checkedAt: string): number => {
  const ms = Date.parse(checkedAt);
  if (Number.isNaN(ms)) throw new Error(`result of bot ${bot}: checkedAt ${JSON.stringify(checkedAt)} is not a time`);
  return ms;
};

const UPSERT: Record<SliceName, (q: Query, key: string, value: never, replica: string) => Promise<unknown>> = {
  results: async (q, bot, s: StateSlices["results"][string]) => {
    await q.query(
      `INSERT INTO bot_results (bot, health, since, checked_at, status) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (bot) DO UPDATE SET health = excluded.health, since = excluded.since, checked_at = excluded.checked_at, status = excluded.status`,
      [bot, s.health, s.since, s.checkedAt, JSON.stringify(s)],
    );
    await upsertSweeps(q, [[bot, s.checkedAt]]);
  },
  alerts: (q, key, state: StateSlices["alerts"][string]) =>
    q.query("INSERT INTO alert_states (alert_key, state) VALUES ($1, $2) ON CONFLICT (alert_key) DO UPDATE SET state = excluded.state", [key, JSON.stringify(state)]),
  bots: (q, name, b: StateSlices["bots"][string]) =>
    q.query(
      `INSERT INTO api_bots (name, config, sealed_token, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET config = excluded.config, sealed_token = excluded.sealed_token, updated_at = excluded.updated_at`,
      [name, JSON.stringify(b.config), b.sealedToken, b.createdAt, b.updatedAt],
    ),
  connections: (q, bot, id: string) =>
    q.query("INSERT INTO connections (bot, connection_id) VALUES ($1, $2) ON CONFLICT (bot) DO UPDATE SET connection_id = excluded.connection_id", [bot, id]),
  silences: (q, _id, s: StateSlices["silences"][number]) =>
    q.query(
      `INSERT INTO silences (id, matchers, starts_at, ends_at, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
         reason = excluded.reason, created_by = excluded.created_by`,
      [s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.reason, s.createdBy ?? null],
    ),
  // A new entry takes the next `seq` (the order entries go out in) and is this replica's to deliver; an
  // update keeps both, and touches only an entry this replica still holds (another may have claimed it).
  outbox: (q, _id, e: StateSlices["outbox"][number], replica) =>
    q.query(
      `INSERT INTO outbox (id, channel, message, created_at, attempts, next_attempt_at, last_error, claimed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error
         WHERE outbox.claimed_by = excluded.claimed_by`,
      [e.id, e.channel, JSON.stringify(e.message), e.createdAt, e.attempts, e.nextAttemptAt, e.lastError ?? null, replica],
    ),
};

const DELETE: Record<SliceName, string> = {
  results: "WITH r AS (DELETE FROM bot_results WHERE bot = $1) DELETE FROM bot_sweeps WHERE bot = $1",
  alerts: "DELETE FROM alert_states WHERE alert_key = $1",
  bots: "DELETE FROM api_bots WHERE name = $1",
  connections: "DELETE FROM connections WHERE bot = $1",
  silences: "DELETE FROM silences WHERE id = $1",
  // Only this replica's own: an entry another replica claimed is that replica's to remove.
  outbox: "DELETE FROM outbox WHERE id = $1 AND claimed_by = $2",
};

/** Writes `key` of `slice` as `value` (the row replaced), or deletes it when `value` is undefined. */
export async function writeRow(q: Query, slice: SliceName, key: string, value: unknown, replica: string): Promise<void> {
  if (value === undefined) await q.query(DELETE[slice], slice === "outbox" ? [key, replica] : [key]);
  else await UPSERT[slice](q, key, value as never, replica);
}

/** The batched sweep times of results whose verdict held, one statement for the batch. */
export async function upsertSweeps(q: Query, sweeps: ReadonlyArray<readonly [string, string]>): Promise<void> {
  if (sweeps.length === 0) return;
  await q.query(
    `INSERT INTO bot_sweeps (bot, checked_at) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (bot) DO UPDATE SET checked_at = excluded.checked_at`,
    [sweeps.map(([bot]) => bot), sweeps.map(([bot, at]) => sweepMs(bot, at))],
  );
}

const SELECT: Record<Exclude<SliceName, "outbox">, { sql: string; key: string; value: (r: Row) => unknown }> = {
  bots: {
    sql: "SELECT name, config, sealed_token, created_at, updated_at FROM api_bots",
    key: "name",
    value: (r) => ({ config: parse(r.config), sealedToken: r.sealed_token, createdAt: r.created_at, updatedAt: r.updated_at }),
  },
  connections: { sql: "SELECT bot, connection_id FROM connections", key: "bot", value: (r) => r.connection_id },
  results: {
    sql: "SELECT r.bot, r.checked_at, r.status, s.checked_at AS swept_at FROM bot_results r LEFT JOIN bot_sweeps s ON s.bot = r.bot",
    key: "r.bot",
    value: (r) => withSweep({ ...parse<StateSlices["results"][string]>(r.status), checkedAt: r.checked_at as string }, (r.swept_at as number | null) ?? null),
  },
  alerts: { sql: "SELECT alert_key, state FROM alert_states", key: "alert_key", value: (r) => parse(r.state) },
  silences: {
    sql: "SELECT id, matchers, starts_at, ends_at, reason, created_by FROM silences",
    key: "id",
    value: (r) => ({
      id: r.id,
      matchers: parse(r.matchers),
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      reason: r.reason,
      ...(r.created_by === null ? {} : { createdBy: r.created_by }),
    }),
  },
};

const keyOf = (r: Row): string => (r.name ?? r.bot ?? r.alert_key ?? r.id) as string;

/** Every row of a shared slice, by key, in key order (silences: in the order they were created). */
export async function readSlice(q: Query, slice: Exclude<SliceName, "outbox">, keys?: readonly string[]): Promise<Map<string, unknown>> {
  const { sql, key, value } = SELECT[slice];
  const order = slice === "silences" ? "seq" : key;
  const { rows } = keys ? await q.query<Row>(`${sql} WHERE ${key} = ANY($1) ORDER BY ${order}`, [keys]) : await q.query<Row>(`${sql} ORDER BY ${order}`);
  return new Map(rows.map((r) => [keyOf(r), value(r)]));
}

/** An outbox row as the outbox holds it. */
export function outboxEntry(r: Row): StateSlices["outbox"][number] {
  return {
    id: r.id as string,
    channel: r.channel as string,
    message: parse(r.message),
    createdAt: r.created_at as string,
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as number,
    ...(r.last_error === null ? {} : { lastError: r.last_error as string }),
  };
}

export const OUTBOX_COLUMNS = "id, channel, message, created_at, attempts, next_attempt_at, last_error";
