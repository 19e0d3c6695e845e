import type { Migration } from "./migration.ts";

/**
 * The open incidents, indexed (README, "Storage and history"): `/status` shows every bot's open incident,
 * one read for the fleet, and without this index that read scans every incident ever kept.
 */
export const openIncidents: Migration = {
  version: 4,
  name: "open incidents index",
  sqlite: `
    CREATE INDEX incidents_open ON incidents (bot, start_at) WHERE end_at IS NULL;
  `,
  postgres: `
    CREATE INDEX incidents_open ON incidents (bot, start_at) WHERE end_at IS NULL;
  `,
};
