import type { Migration } from "./migration.ts";

/**
 * The first schema: every slice the lowdb state file held, and the history (README, "Storage and history").
 *
 * Conventions, the same on both engines:
 * - State rows keep the ISO times and JSON the application already uses (they are read whole, never
 *   searched by time); history rows keep times as integer epoch milliseconds (`*_at`, `day` = UTC days
 *   since the epoch), because every history read is a time range.
 * - JSON is TEXT; booleans are INTEGER 0/1; surrogate keys are `INTEGER PRIMARY KEY` (SQLite's rowid).
 * - Last results are one row per bot, written only when the verdict changes (health, a check's status or
 *   message): `checked_at` is the last sweep's time, which the monitor refreshes in a batch (once a minute),
 *   so a sweep that changes nothing writes nothing per bot.
 * - No secret is ever stored unsealed: `api_bots.sealed_token` is AES-256-GCM (SecretBox); the audit log
 *   holds the admin token's name, never the token.
 */
export const initial: Migration = {
  version: 1,
  name: "state slices and history",
  sqlite: `
    CREATE TABLE api_bots (
      name TEXT PRIMARY KEY,
      config TEXT NOT NULL,
      sealed_token TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE connections (
      bot TEXT PRIMARY KEY,
      connection_id TEXT NOT NULL
    );
    CREATE TABLE bot_results (
      bot TEXT PRIMARY KEY,
      health TEXT NOT NULL,
      since TEXT NOT NULL,
      checked_at TEXT NOT NULL,
      status TEXT NOT NULL
    );
    CREATE TABLE alert_states (
      alert_key TEXT PRIMARY KEY,
      state TEXT NOT NULL
    );
    CREATE TABLE silences (
      id TEXT PRIMARY KEY,
      matchers TEXT NOT NULL,
      starts_at TEXT NOT NULL,
      ends_at TEXT NOT NULL,
      reason TEXT NOT NULL,
      created_by TEXT
    );
    CREATE TABLE outbox (
      id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL UNIQUE,
      channel TEXT NOT NULL,
      message TEXT NOT NULL,
      created_at TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT
    );

    CREATE TABLE monitor_runs (
      id INTEGER PRIMARY KEY,
      started_at INTEGER NOT NULL,
      heartbeat_at INTEGER NOT NULL,
      stopped_at INTEGER
    );
    CREATE INDEX monitor_runs_by_heartbeat ON monitor_runs (heartbeat_at);

    CREATE TABLE health_transitions (
      id INTEGER PRIMARY KEY,
      bot TEXT NOT NULL,
      at INTEGER NOT NULL,
      health TEXT NOT NULL,
      message TEXT
    );
    CREATE INDEX health_transitions_by_bot ON health_transitions (bot, at);
    -- Covering: the fleet's uptime reads a day of every bot's transitions from this index alone.
    CREATE INDEX health_transitions_by_time ON health_transitions (at, bot, health);

    CREATE TABLE check_transitions (
      id INTEGER PRIMARY KEY,
      bot TEXT NOT NULL,
      check_name TEXT NOT NULL,
      at INTEGER NOT NULL,
      status TEXT NOT NULL,
      message TEXT
    );
    CREATE INDEX check_transitions_by_bot ON check_transitions (bot, at);
    CREATE INDEX check_transitions_by_time ON check_transitions (at);

    CREATE TABLE daily_uptime (
      bot TEXT NOT NULL,
      day INTEGER NOT NULL,
      known_ms INTEGER NOT NULL,
      up_ms INTEGER NOT NULL,
      healthy_ms INTEGER NOT NULL,
      worst TEXT,
      start_health TEXT,
      end_health TEXT,
      cum_known_ms INTEGER NOT NULL,
      cum_up_ms INTEGER NOT NULL,
      cum_healthy_ms INTEGER NOT NULL,
      PRIMARY KEY (day, bot)
    ) WITHOUT ROWID;
    -- The fleet reads whole days (the primary key keeps a day's rows together); a bot's bar reads its days.
    CREATE INDEX daily_uptime_by_bot ON daily_uptime (bot, day);

    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      bot TEXT NOT NULL,
      start_at INTEGER NOT NULL,
      fired_at INTEGER NOT NULL,
      end_at INTEGER,
      worst TEXT NOT NULL,
      checks TEXT NOT NULL,
      silenced INTEGER NOT NULL
    );
    CREATE INDEX incidents_by_bot ON incidents (bot, start_at);
    CREATE INDEX incidents_by_time ON incidents (start_at);

    CREATE TABLE alert_events (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      alert_key TEXT NOT NULL,
      incident_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      severity TEXT NOT NULL
    );
    CREATE INDEX alert_events_by_incident ON alert_events (incident_id, at);
    CREATE INDEX alert_events_by_time ON alert_events (at);

    CREATE TABLE notifications (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      alert_key TEXT NOT NULL,
      incident_id TEXT,
      channel TEXT NOT NULL,
      kind TEXT NOT NULL,
      result TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      error TEXT
    );
    CREATE INDEX notifications_by_time ON notifications (at);
    CREATE INDEX notifications_by_channel ON notifications (channel, at);
    CREATE INDEX notifications_by_result ON notifications (result, at);
    CREATE INDEX notifications_by_incident ON notifications (incident_id);

    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      token_name TEXT NOT NULL,
      address TEXT NOT NULL,
      method TEXT NOT NULL,
      route TEXT NOT NULL,
      bot TEXT,
      summary TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_time ON audit_log (at);
  `,
  // The same tables: epoch ms BIGINT, ids identities, JSON TEXT (read whole), silenced BOOLEAN.
  postgres: `
    CREATE TABLE api_bots (
      name TEXT PRIMARY KEY,
      config TEXT NOT NULL,
      sealed_token TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE connections (
      bot TEXT PRIMARY KEY,
      connection_id TEXT NOT NULL
    );
    CREATE TABLE bot_results (
      bot TEXT PRIMARY KEY,
      health TEXT NOT NULL,
      since TEXT NOT NULL,
      checked_at TEXT NOT NULL,
      status TEXT NOT NULL
    );
    CREATE TABLE alert_states (
      alert_key TEXT PRIMARY KEY,
      state TEXT NOT NULL
    );
    CREATE TABLE silences (
      id TEXT PRIMARY KEY,
      matchers TEXT NOT NULL,
      starts_at TEXT NOT NULL,
      ends_at TEXT NOT NULL,
      reason TEXT NOT NULL,
      created_by TEXT
    );
    CREATE TABLE outbox (
      id TEXT PRIMARY KEY,
      seq BIGINT NOT NULL UNIQUE,
      channel TEXT NOT NULL,
      message TEXT NOT NULL,
      created_at TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at BIGINT NOT NULL,
      last_error TEXT
    );

    CREATE TABLE monitor_runs (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      started_at BIGINT NOT NULL,
      heartbeat_at BIGINT NOT NULL,
      stopped_at BIGINT
    );
    CREATE INDEX monitor_runs_by_heartbeat ON monitor_runs (heartbeat_at);

    CREATE TABLE health_transitions (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      bot TEXT NOT NULL,
      at BIGINT NOT NULL,
      health TEXT NOT NULL,
      message TEXT
    );
    CREATE INDEX health_transitions_by_bot ON health_transitions (bot, at);
    CREATE INDEX health_transitions_by_time ON health_transitions (at, bot, health);

    CREATE TABLE check_transitions (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      bot TEXT NOT NULL,
      check_name TEXT NOT NULL,
      at BIGINT NOT NULL,
      status TEXT NOT NULL,
      message TEXT
    );
    CREATE INDEX check_transitions_by_bot ON check_transitions (bot, at);
    CREATE INDEX check_transitions_by_time ON check_transitions (at);

    CREATE TABLE daily_uptime (
      bot TEXT NOT NULL,
      day INTEGER NOT NULL,
      known_ms BIGINT NOT NULL,
      up_ms BIGINT NOT NULL,
      healthy_ms BIGINT NOT NULL,
      worst TEXT,
      start_health TEXT,
      end_health TEXT,
      cum_known_ms BIGINT NOT NULL,
      cum_up_ms BIGINT NOT NULL,
      cum_healthy_ms BIGINT NOT NULL,
      PRIMARY KEY (day, bot)
    );
    CREATE INDEX daily_uptime_by_bot ON daily_uptime (bot, day);
    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      bot TEXT NOT NULL,
      start_at BIGINT NOT NULL,
      fired_at BIGINT NOT NULL,
      end_at BIGINT,
      worst TEXT NOT NULL,
      checks TEXT NOT NULL,
      silenced BOOLEAN NOT NULL
    );
    CREATE INDEX incidents_by_bot ON incidents (bot, start_at);
    CREATE INDEX incidents_by_time ON incidents (start_at);

    CREATE TABLE alert_events (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at BIGINT NOT NULL,
      alert_key TEXT NOT NULL,
      incident_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      severity TEXT NOT NULL
    );
    CREATE INDEX alert_events_by_incident ON alert_events (incident_id, at);
    CREATE INDEX alert_events_by_time ON alert_events (at);

    CREATE TABLE notifications (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at BIGINT NOT NULL,
      alert_key TEXT NOT NULL,
      incident_id TEXT,
      channel TEXT NOT NULL,
      kind TEXT NOT NULL,
      result TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      error TEXT
    );
    CREATE INDEX notifications_by_time ON notifications (at);
    CREATE INDEX notifications_by_channel ON notifications (channel, at);
    CREATE INDEX notifications_by_result ON notifications (result, at);
    CREATE INDEX notifications_by_incident ON notifications (incident_id);

    CREATE TABLE audit_log (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at BIGINT NOT NULL,
      token_name TEXT NOT NULL,
      address TEXT NOT NULL,
      method TEXT NOT NULL,
      route TEXT NOT NULL,
      bot TEXT,
      summary TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_time ON audit_log (at);
  `,
};
