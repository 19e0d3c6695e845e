import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Health } from "../../../src/model.ts";
import { DAY_MS } from "../../../src/history/spans.ts";
import { dailyBar, durations, uptime, type HealthTransition, type MonitorRun } from "../../../src/history/uptime.ts";
import type { HistoryEngine, Monitor } from "./engine.ts";
import { exactWindow } from "./replay.ts";

const H = 3_600_000;
/** Midnight UTC: the generated histories run over the ten days from here. */
const T0 = Date.parse("2026-05-01T00:00:00.000Z");
const HISTORY_DAYS = 10;
/** Whole days and not: a window's start falls anywhere in a day. */
const WINDOWS = { "1d": DAY_MS, "36h": 36 * H, "3d": 3 * DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS };

interface Generated {
  /** Per bot, [hour since T0, health]: on a coarse grid, so that a bot changes twice in one millisecond now and then. */
  bots: [number, Health][][];
  /** Boundaries of the monitor's runs (hours, sorted apart), and how each ended. */
  runs: { points: [number, number]; end: "stopped" | "crashed" }[];
  live: boolean;
  /** When `/status` is read, and how far the rollups had got before (the monitor may have been stopped for days). */
  now: number;
  rolledAt: number;
}

const health = fc.constantFrom<Health>("healthy", "degraded", "down", "unknown");
const hour = fc.integer({ min: 0, max: HISTORY_DAYS * 24 });
const generated: fc.Arbitrary<Generated> = fc
  .record({
    bots: fc.array(fc.array(fc.tuple(hour, health), { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 5 }),
    runs: fc.array(fc.record({ points: fc.tuple(hour, hour), end: fc.constantFrom<"stopped" | "crashed">("stopped", "crashed") }), { maxLength: 3 }),
    live: fc.boolean(),
    now: fc.integer({ min: 2 * 24, max: HISTORY_DAYS * 24 }),
    rolledAt: fc.integer({ min: 0, max: HISTORY_DAYS * 24 }),
  })
  .map((g) => ({ ...g, rolledAt: Math.min(g.rolledAt, g.now) }));

const at = (hours: number) => T0 + hours * H;

/** Always tried: a bot that changes twice in one millisecond holds the health recorded last, on a rolled-up day and since. */
const TWICE_IN_ONE_MS: [Generated][] = [
  [{ bots: [[[0, "healthy"], [0, "down"]], [[0, "healthy"]]], runs: [], live: true, now: 48, rolledAt: 48 }],
  [{ bots: [[[97, "healthy"], [97, "degraded"]], [[0, "healthy"]]], runs: [], live: true, now: 120, rolledAt: 0 }],
];

/**
 * The fleet's uptime and the bars from the rollups against history/uptime.ts on random histories, gaps,
 * restarts and rollups behind (README, "Storage and history"), on the engine `open` gives. Each run
 * starts from empty tables; `runs` scales the number of runs (a network engine pays a round trip a read).
 */
export function uptimeProperties(open: () => Promise<HistoryEngine>): void {
  let engine: HistoryEngine;
  beforeAll(async () => {
    engine = await open();
  });
  afterAll(() => engine.close());

  /** The generated history recorded by its monitors, rolled up as of `rolledAt`, and the same history as plain values. */
  async function record(g: Generated) {
    await engine.reset();
    const now = at(g.now) + 7 * 60_000; // not on the grid: a window's start is not either
    const runs: MonitorRun[] = [];
    // Runs one after the other, as a monitor's are: sorted boundaries, each run between two of them.
    const points = g.runs.flatMap((r) => r.points).sort((a, b) => a - b);
    for (const [i, r] of g.runs.entries()) {
      const [start, heartbeat] = [at(points[2 * i]!), at(points[2 * i + 1]!)];
      if (start >= now) continue;
      const monitor = engine.monitor();
      monitor.history.begin(start);
      monitor.history.heartbeat(Math.min(heartbeat, now));
      if (r.end === "stopped") monitor.history.end(Math.min(heartbeat, now));
      await monitor.commit();
      runs.push({ startedAt: start, heartbeatAt: Math.min(heartbeat, now) });
    }
    // The reader: the live monitor, or one that has not begun (its known time is the recorded runs').
    const reader: Monitor = engine.monitor();
    const lastEnd = Math.max(T0 - H, ...runs.map((r) => r.heartbeatAt));
    if (g.live && lastEnd < now) {
      reader.history.begin(lastEnd + 1);
      runs.push({ startedAt: lastEnd + 1, heartbeatAt: now });
    }
    const transitions = new Map<string, HealthTransition[]>();
    g.bots.forEach((list, i) => {
      const bot = `bot-${i}`;
      // In the order they happen; two at the same time in the order generated (recorded one after the other).
      const sorted = list.map(([q, h]) => ({ at: at(q), health: h })).filter((t) => t.at < now).sort((a, b) => a.at - b.at);
      for (const t of sorted) reader.history.recordHealth(bot, t);
      if (sorted.length > 0) transitions.set(bot, sorted);
    });
    await reader.commit();
    await reader.history.rollUp(at(g.rolledAt));
    return { history: reader.history, now, runs, transitions };
  }

  const property = (runs: number, check: (r: Awaited<ReturnType<typeof record>>) => Promise<void>) =>
    fc.assert(fc.asyncProperty(generated, async (g) => check(await record(g))), { numRuns: runs, examples: TWICE_IN_ONE_MS });

  describe("the fleet's uptime and bars on random histories", () => {
    it("when the fleet's uptime is read for random histories, gaps, restarts and rollups behind, then each bot's figures are the exact ones from its transitions", async () => {
      await property(100, async (r) => {
        const fleet = await fleetOver(r.history, r.now);
        expect([...fleet.keys()].sort()).toEqual([...r.transitions.keys()].sort());
        for (const [bot, list] of r.transitions) {
          for (const [name, length] of Object.entries(WINDOWS)) expect(fleet.get(bot)?.[name], `${bot} ${name}`).toEqual(uptime(durations(exactWindow(list, r.runs, r.now - length, r.now))));
        }
      });
    }, 120_000);

    it("when days were rolled up before their packed rows existed (migration 003), then the fleet reads their daily rows and the figures are the same", async () => {
      await property(40, async (r) => {
        const packed = await fleetOver(r.history, r.now);
        await engine.exec("DELETE FROM fleet_uptime");
        expect(await fleetOver(r.history, r.now)).toEqual(packed);
        // And a rollup after them starts from those rows.
        await r.history.rollUp(r.now);
        expect(await fleetOver(r.history, r.now)).toEqual(packed);
      });
    }, 120_000);

    it("when a bot's bar is read after random histories were rolled up, then each day's cell is the exact one from its transitions", async () => {
      await property(40, async (r) => {
        const from = (Math.floor(r.now / DAY_MS) - HISTORY_DAYS + 1) * DAY_MS;
        for (const [bot, list] of r.transitions) expect(await r.history.dailyBar(bot, r.now, HISTORY_DAYS), bot).toEqual(dailyBar(exactWindow(list, r.runs, from, r.now)));
      });
    }, 120_000);
  });
}

/** Every window of WINDOWS at once. */
const fleetOver = (history: Monitor["history"], now: number) => history.fleetUptimeWindows(now, WINDOWS);
