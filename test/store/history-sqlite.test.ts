/** The history contract (history/contract.ts and its siblings) on SQLite. */
import { describe } from "vitest";
import { historyContract } from "./history/contract.ts";
import { maintenanceContract } from "./history/maintenance-contract.ts";
import { uptimeProperties } from "./history/uptime-properties.ts";
import { sqliteEngine } from "./history/sqlite-engine.ts";

describe("the history on SQLite", () => historyContract(async () => sqliteEngine()));
describe("the history on SQLite, random histories", () => uptimeProperties(async () => sqliteEngine()));
describe("the history on SQLite, housekeeping", () => maintenanceContract(async () => sqliteEngine()));
