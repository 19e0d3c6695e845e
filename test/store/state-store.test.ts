import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateStore, stateChunks, type StateData, type StateShapes } from "../../src/store/state-store.ts";

const tempFile = () => join(mkdtempSync(join(tmpdir(), "state-store-")), "state.json");

function result(name: string, i: number) {
  return {
    name,
    username: `${name}_bot`,
    health: "healthy" as const,
    since: "2026-11-24T12:00:00.000Z",
    checkedAt: "2026-11-24T12:00:00.000Z",
    checks: [{ check: "token", status: "ok" as const, message: `say "hi"\n${i} é`, durationMs: 1.5, at: "2026-11-24T12:00:00.000Z", since: "2026-11-24T12:00:00.000Z" }],
    observed: { rights: { can_reply: true }, webhookPendingUpdates: undefined },
  };
}

describe("StateStore", () => {
  it("when the state is written in chunks, then the file is exactly JSON.stringify of the state", () => {
    for (const bots of [0, 1, 499, 500, 501, 1234]) {
      const data = {
        version: 1,
        results: Object.fromEntries(Array.from({ length: bots }, (_, i) => [`bot-${i}`, result(`bot-${i}`, i)])),
        alerts: { "bot-1": { badStreak: 2 } },
        outbox: [],
        silences: [],
        bots: {},
        connections: { "bot-1": "bc-1" },
      } as unknown as StateData<StateShapes>;
      expect([...stateChunks(data)].join(""), `${bots} bots`).toBe(JSON.stringify(data));
    }
  });

  it("when many changes and flushes come at once, then they share writes: at most one per flush interval", async () => {
    const path = tempFile();
    const store = await StateStore.open({ path, flushIntervalMs: 100 });
    const started = Date.now();
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      void store.results.put(`bot-${i}`, result(`bot-${i}`, i));
      flushes.push(store.flush());
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(flushes);
    const elapsed = Date.now() - started;
    expect(store.stats.writes).toBeGreaterThan(0);
    expect(store.stats.writes).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    // Every flush resolved after a write that holds its change.
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).results)).toHaveLength(200);
    expect(store.stats.bytes).toBeGreaterThanOrEqual(statSync(path).size);
    await store.close();
  });

  it("when the store closes, then pending changes are written at once, with mode 0600", async () => {
    const path = tempFile();
    const store = await StateStore.open({ path, flushIntervalMs: 60_000 });
    void store.results.put("anna", result("anna", 1));
    await store.close();
    expect(JSON.parse(readFileSync(path, "utf8")).results.anna.username).toBe("anna_bot");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("when nothing changed, then flush() writes nothing", async () => {
    const store = await StateStore.open({ path: tempFile(), flushIntervalMs: 10 });
    await store.flush();
    await store.close();
    expect(store.stats.writes).toBe(0);
  });
});
