import type { Migration } from "./migration.ts";

/**
 * The last sweep's time of each bot, apart from its result row (README, "Storage and history").
 *
 * A sweep whose verdicts held changes only bookkeeping, and the store writes that in a batch once a
 * minute; in 001 the batch rewrote each bot's whole `bot_results` row (~1 KB of JSON), now it writes this
 * row of a few bytes. `bot_results` keeps the verdict and the rest, written when the verdict changes
 * (which refreshes this row too). `checked_at` is epoch milliseconds; a bot without a row here (a
 * database written by 001) takes `bot_results.checked_at`.
 */
export const botSweeps: Migration = {
  version: 2,
  name: "bot sweep times",
  sqlite: `
    CREATE TABLE bot_sweeps (
      bot TEXT PRIMARY KEY,
      checked_at INTEGER NOT NULL
    ) WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE bot_sweeps (
      bot TEXT PRIMARY KEY,
      checked_at BIGINT NOT NULL
    );
  `,
};
