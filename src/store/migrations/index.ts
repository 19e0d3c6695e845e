import type { Migration } from "./migration.ts";
import { initial } from "./001-initial.ts";
import { botSweeps } from "./002-bot-sweeps.ts";
import { fleetUptime } from "./003-fleet-uptime.ts";
import { openIncidents } from "./004-open-incidents.ts";
import { replicas } from "./005-replicas.ts";
import { reportRuns } from "./006-report-runs.ts";

/** Every schema step, in order: a new step is a new file added at the end, never an edit of a released one. */
export const MIGRATIONS: readonly Migration[] = [initial, botSweeps, fleetUptime, openIncidents, replicas, reportRuns];

export type { Migration } from "./migration.ts";
