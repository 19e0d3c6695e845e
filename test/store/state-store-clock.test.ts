import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StateStore } from "../../src/store/state-store.ts";

const HOUR = 3_600_000;
const silence = (id: string) => ({ id, matchers: {}, startsAt: "2026-11-24T12:00:00Z", endsAt: "2026-11-24T13:00:00Z", reason: "test" });

describe("StateStore under wall-clock steps", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const step of [-HOUR, +HOUR])
    it(`when the wall clock steps ${step > 0 ? "forward" : "back"} an hour after a write, then the next flush still lands within the flush interval`, async () => {
      // Only Date is faked, running with real time: setSystemTime is a wall-clock step, timers stay real.
      vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
      const path = join(mkdtempSync(join(tmpdir(), "state-clock-")), "state.json");
      const store = await StateStore.open({ path, flushIntervalMs: 100 });
      await store.silences.add([silence("first")]);
      vi.setSystemTime(Date.now() + step);
      void store.silences.add([silence("second")]);
      const started = performance.now();
      const written = await Promise.race([store.flush().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      expect(written, "the second write within 3 s").toBe(true);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(JSON.parse(readFileSync(path, "utf8")).silences).toHaveLength(2);
      await store.close();
    });
});
