/** The history contract (history/contract.ts and its siblings) on SQLite. */
import { describe } from "vitest";
import { historyContract } from "./history/contract.ts";
import { sqliteEngine } from "./history/sqlite-engine.ts";

describe("the history on SQLite", () => historyContract(async () => sqliteEngine()));
