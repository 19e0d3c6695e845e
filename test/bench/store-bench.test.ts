import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { HistoryReadResult } from "../../bench/history-read.ts";
import type { StoreWritesResult } from "../../bench/store-writes.ts";

/** A bench script as bench/run.ts forks it: the figures it sends, and its exit code. */
function runScript<T>(file: string, args: string[], key: string): Promise<{ results: T[]; code: number | null }> {
  const proc = fork(fileURLToPath(new URL(`../../bench/${file}`, import.meta.url)), args, { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const results: T[] = [];
  proc.on("message", (m) => {
    if (m && typeof m === "object" && key in m) results.push((m as Record<string, T>)[key]!);
  });
  return new Promise((resolve) => proc.once("exit", (code) => resolve({ results, code })));
}

describe("the store's bench scripts (smoke: tiny fleets, what npm run bench reads from them)", () => {
  it("when store-writes runs for the SQLite engine, then it sends the bytes /proc/self/io counted, the files' size and the admin latencies", async () => {
    const { results, code } = await runScript<StoreWritesResult>("store-writes.ts", ["1", "50", "--engine=sqlite", "--admin-writes=5"], "storeWrites");
    expect(code).toBe(0);
    expect(results).toHaveLength(1);
    const [r] = results;
    expect(r).toMatchObject({ engine: "sqlite", bots: 50, seconds: 1, adminWrites: 5 });
    // The close's batch of sweep times at least, and a database with its -wal.
    expect(r!.bytesWritten).toBeGreaterThan(0);
    expect(r!.fileBytes).toBeGreaterThan(4096);
    expect(r!.adminP99Ms).toBeGreaterThanOrEqual(r!.adminP50Ms);
  }, 30_000);

  it("when history-read runs on a small generated history, then it sends every figure of the reads and of the start", async () => {
    const { results, code } = await runScript<HistoryReadResult>("history-read.ts", ["30", "4"], "historyRead");
    expect(code).toBe(0);
    expect(results).toHaveLength(1);
    const [r] = results;
    expect(r).toMatchObject({ bots: 30, days: 4 });
    expect(r!.transitions).toBeGreaterThan(30);
    for (const key of ["databaseBytes", "oneBotMs", "fleetMs", "fleetFirstMs", "openMs", "rollUpMs"] as const) expect(r![key], key).toBeGreaterThan(0);
  }, 30_000);
});
