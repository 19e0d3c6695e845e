import type { Migration } from "./migration.ts";

/**
 * The fleet's day packed into one row per day (README, "Storage and history"), for `/status`: its uptime
 * of every bot over 24 h / 7 d / 30 d / 90 d reads, per window, two days of running totals and a day of
 * transitions, and as rows (10,000 `daily_uptime` rows a day, 16,000 transitions on a flapping fleet's
 * day) that alone took longer than the whole read may: node:sqlite hands each row to JavaScript at
 * about a microsecond. `fleet_uptime` holds what that day's `daily_uptime` rows and transitions hold,
 * written with them by the rollup:
 * - `uptime_bots`: every bot the rollups have seen, numbered from 0 in the order first seen; a number
 *   is never reused or changed, so a day's arrays are indexed by it.
 * - `fleet_uptime.totals`: for bots 0 … `bots`-1, the running totals at the day's end as little-endian
 *   float64 (exact integers): every known ms, then every up ms, then every healthy ms (24 bytes a bot).
 * - `fleet_uptime.end_health`: a byte per bot, its health at the day's end (0 none, 1 healthy,
 *   2 degraded, 3 down, 4 unknown).
 * - `fleet_uptime.transitions`: the day's health transitions, for the part of a window's first day
 *   before the window: every bot number as little-endian int32, then every time as int32 milliseconds
 *   since the day's start, then every health code as a byte (9 bytes a transition), in time order, a
 *   bot's transitions at the same millisecond as the last of them. `health_transitions` stays the record.
 * Days rolled up before this step have no row here; the reads fall back to `daily_uptime` and
 * `health_transitions`.
 */
export const fleetUptime: Migration = {
  version: 3,
  name: "fleet uptime totals packed per day",
  sqlite: `
    CREATE TABLE uptime_bots (
      id INTEGER PRIMARY KEY,
      bot TEXT NOT NULL UNIQUE
    );
    CREATE TABLE fleet_uptime (
      day INTEGER PRIMARY KEY,
      bots INTEGER NOT NULL,
      totals BLOB NOT NULL,
      end_health BLOB NOT NULL,
      transitions BLOB NOT NULL
    );
  `,
  // The same bytes as BYTEA; uptime_bots.id is assigned by the rollup (0, 1, 2 … as bots are first seen).
  postgres: `
    CREATE TABLE uptime_bots (
      id INTEGER PRIMARY KEY,
      bot TEXT NOT NULL UNIQUE
    );
    CREATE TABLE fleet_uptime (
      day INTEGER PRIMARY KEY,
      bots INTEGER NOT NULL,
      totals BYTEA NOT NULL,
      end_health BYTEA NOT NULL,
      transitions BYTEA NOT NULL
    );
  `,
};
