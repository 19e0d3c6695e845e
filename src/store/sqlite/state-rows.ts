import type { LegacyState } from "../legacy-state-file.ts";
import type { SqliteDatabase } from "./database.ts";
import { upsertSweep, withSweep } from "./sweep-rows.ts";

/**
 * The state slices as rows (migration 001), written and read whole: the mapping the store's repositories
 * use on SQLite and the legacy import writes through. `StateSlices` is the lowdb file's shape, which is
 * also what the repositories hand the rest of the monitor.
 */
export type StateSlices = Omit<LegacyState, "version">;

type Row = Record<string, string | number | null>;
const parse = <T>(text: unknown): T => JSON.parse(text as string) as T;

export function insertApiBot(db: SqliteDatabase, name: string, bot: StateSlices["bots"][string]): void {
  db.run(
    `INSERT INTO api_bots (name, config, sealed_token, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET config = excluded.config, sealed_token = excluded.sealed_token, updated_at = excluded.updated_at`,
    name, JSON.stringify(bot.config), bot.sealedToken, bot.createdAt, bot.updatedAt,
  );
}

export function upsertConnection(db: SqliteDatabase, bot: string, connectionId: string): void {
  db.run("INSERT INTO connections (bot, connection_id) VALUES (?, ?) ON CONFLICT (bot) DO UPDATE SET connection_id = excluded.connection_id", bot, connectionId);
}

/** A bot's result, written when its verdict changed; its sweep time alone is refreshed in batches (`bot_sweeps`). */
export function upsertResult(db: SqliteDatabase, bot: string, status: StateSlices["results"][string]): void {
  db.run(
    `INSERT INTO bot_results (bot, health, since, checked_at, status) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (bot) DO UPDATE SET health = excluded.health, since = excluded.since, checked_at = excluded.checked_at, status = excluded.status`,
    bot, status.health, status.since, status.checkedAt, JSON.stringify(status),
  );
  upsertSweep(db, bot, status.checkedAt);
}

export function upsertAlertState(db: SqliteDatabase, key: string, state: StateSlices["alerts"][string]): void {
  db.run("INSERT INTO alert_states (alert_key, state) VALUES (?, ?) ON CONFLICT (alert_key) DO UPDATE SET state = excluded.state", key, JSON.stringify(state));
}

export function insertSilence(db: SqliteDatabase, s: StateSlices["silences"][number]): void {
  db.run(
    "INSERT INTO silences (id, matchers, starts_at, ends_at, reason, created_by) VALUES (?, ?, ?, ?, ?, ?)",
    s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.reason, s.createdBy ?? null,
  );
}

/** Appends to the outbox: `seq` keeps the order entries go out in (per channel and alert). */
export function insertOutboxEntry(db: SqliteDatabase, e: StateSlices["outbox"][number]): void {
  db.run(
    `INSERT INTO outbox (id, seq, channel, message, created_at, attempts, next_attempt_at, last_error)
     VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?, ?, ?, ?, ?, ?)`,
    e.id, e.channel, JSON.stringify(e.message), e.createdAt, e.attempts, e.nextAttemptAt, e.lastError ?? null,
  );
}

/** Every slice as the monitor holds it in memory at start; lists (silences, the outbox) in the order they were added. */
export function readState(db: SqliteDatabase): StateSlices {
  const all = (sql: string) => db.all<Row>(sql);
  return {
    bots: Object.fromEntries(
      all("SELECT name, config, sealed_token, created_at, updated_at FROM api_bots ORDER BY name").map((r) => [
        r.name as string,
        { config: parse<StateSlices["bots"][string]["config"]>(r.config), sealedToken: r.sealed_token as string, createdAt: r.created_at as string, updatedAt: r.updated_at as string },
      ]),
    ),
    connections: Object.fromEntries(all("SELECT bot, connection_id FROM connections ORDER BY bot").map((r) => [r.bot as string, r.connection_id as string])),
    results: Object.fromEntries(
      all("SELECT r.bot, r.checked_at, r.status, s.checked_at AS swept_at FROM bot_results r LEFT JOIN bot_sweeps s ON s.bot = r.bot ORDER BY r.bot").map((r) => [
        r.bot as string,
        withSweep({ ...parse<StateSlices["results"][string]>(r.status), checkedAt: r.checked_at as string }, r.swept_at as number | null),
      ]),
    ),
    alerts: Object.fromEntries(all("SELECT alert_key, state FROM alert_states ORDER BY alert_key").map((r) => [r.alert_key as string, parse<StateSlices["alerts"][string]>(r.state)])),
    silences: all("SELECT id, matchers, starts_at, ends_at, reason, created_by FROM silences ORDER BY rowid").map((r) => ({
      id: r.id as string,
      matchers: parse<Record<string, string>>(r.matchers),
      startsAt: r.starts_at as string,
      endsAt: r.ends_at as string,
      reason: r.reason as string,
      ...(r.created_by === null ? {} : { createdBy: r.created_by as string }),
    })),
    outbox: all("SELECT id, channel, message, created_at, attempts, next_attempt_at, last_error FROM outbox ORDER BY seq").map((r) => ({
      id: r.id as string,
      channel: r.channel as string,
      message: parse<StateSlices["outbox"][number]["message"]>(r.message),
      createdAt: r.created_at as string,
      attempts: r.attempts as number,
      nextAttemptAt: r.next_attempt_at as number,
      ...(r.last_error === null ? {} : { lastError: r.last_error as string }),
    })),
  };
}
