/** The history contract (history/contract.ts and its siblings) on PostgreSQL. */
import { describe } from "vitest";
import { historyContract } from "./history/contract.ts";
import { maintenanceContract } from "./history/maintenance-contract.ts";
import { uptimeProperties } from "./history/uptime-properties.ts";
import { postgresEngine } from "./history/postgres-engine.ts";

describe("the history on PostgreSQL", () => historyContract(postgresEngine));
describe("the history on PostgreSQL, random histories", () => uptimeProperties(postgresEngine));
describe("the history on PostgreSQL, housekeeping", () => maintenanceContract(postgresEngine));
