/** The history contract (history/contract.ts and its siblings) on PostgreSQL. */
import { describe } from "vitest";
import { historyContract } from "./history/contract.ts";
import { postgresEngine } from "./history/postgres-engine.ts";

describe("the history on PostgreSQL", () => historyContract(postgresEngine));
