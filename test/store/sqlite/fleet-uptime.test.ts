import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Health } from "../../../src/model.ts";
import { DAY_MS } from "../../../src/history/spans.ts";
import { dailyBar, durations, uptime, type HealthTransition, type MonitorRun } from "../../../src/history/uptime.ts";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { SqliteHistory } from "../../../src/store/sqlite/history.ts";
import { DailyUptime } from "../../../src/store/sqlite/rollups.ts";

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

let dir: string;
let db: SqliteDatabase;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fleet-uptime-"));
  db = SqliteDatabase.open({ path: join(dir, "history.db") });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The generated history in the database, rolled up as of `rolledAt`, and the same history as plain
 * values. All of it in one transaction that `cleanup` rolls back: the next run starts from an empty
 * database without paying for a new file.
 */
function record(g: Generated) {
  db.exec("BEGIN");
  const history = new SqliteHistory(db);
  const now = at(g.now) + 7 * 60_000; // not on the grid: a window's start is not either
  const runs: MonitorRun[] = [];
  // Runs one after the other, as a monitor's are: sorted boundaries, each run between two of them.
  const points = g.runs.flatMap((r) => r.points).sort((a, b) => a - b);
  g.runs.forEach((r, i) => {
    const [start, heartbeat] = [at(points[2 * i]!), at(points[2 * i + 1]!)];
    if (start >= now) return;
    const id = history.startRun(start);
    history.heartbeat(id, Math.min(heartbeat, now));
    if (r.end === "stopped") history.stopRun(id, Math.min(heartbeat, now));
    runs.push({ startedAt: start, heartbeatAt: Math.min(heartbeat, now) });
  });
  let liveRun: number | undefined;
  const lastEnd = Math.max(T0 - H, ...runs.map((r) => r.heartbeatAt));
  if (g.live && lastEnd < now) {
    liveRun = history.startRun(lastEnd + 1);
    runs.push({ startedAt: lastEnd + 1, heartbeatAt: now });
  }
  const transitions = new Map<string, HealthTransition[]>();
  g.bots.forEach((points, i) => {
    const bot = `bot-${i}`;
    // In the order they happen; two at the same time in the order generated (recorded one after the other).
    const list = points.map(([q, h]) => ({ at: at(q), health: h })).filter((t) => t.at < now).sort((a, b) => a.at - b.at);
    for (const t of list) history.recordHealth(bot, t);
    if (list.length > 0) transitions.set(bot, list);
  });
  const rollups = new DailyUptime(db, history);
  rollups.rollUp(at(g.rolledAt), liveRun);
  return { db, history, rollups, now, liveRun, runs, transitions, cleanup: () => db.exec("ROLLBACK") };
}

/** history/uptime.ts over one bot's transitions: the exact figures. */
function exact(list: HealthTransition[], runs: MonitorRun[], from: number, to: number) {
  return { from, to, before: list.filter((t) => t.at < from).at(-1), transitions: list.filter((t) => t.at >= from && t.at < to), runs };
}

describe("DailyUptime.fleet", () => {
  it("when the fleet's uptime is read for random histories, gaps, restarts and rollups behind, then each bot's figures are the exact ones from its transitions", () => {
    fc.assert(
      fc.property(generated, (g) => {
        const r = record(g);
        try {
          const fleet = r.rollups.fleet(r.now, WINDOWS, r.liveRun);
          expect([...fleet.keys()].sort()).toEqual([...r.transitions.keys()].sort());
          for (const [bot, list] of r.transitions) {
            for (const [name, length] of Object.entries(WINDOWS)) {
              expect(fleet.get(bot)?.[name], `${bot} ${name}`).toEqual(uptime(durations(exact(list, r.runs, r.now - length, r.now))));
            }
          }
        } finally {
          r.cleanup();
        }
      }),
      { numRuns: 100, examples: TWICE_IN_ONE_MS },
    );
  });

  it("when days were rolled up before their packed rows existed (migration 003), then the fleet reads their daily rows and the figures are the same", () => {
    fc.assert(
      fc.property(generated, (g) => {
        const r = record(g);
        try {
          const packed = r.rollups.fleet(r.now, WINDOWS, r.liveRun);
          r.db.exec("DELETE FROM fleet_uptime");
          expect(new DailyUptime(r.db, r.history).fleet(r.now, WINDOWS, r.liveRun)).toEqual(packed);
          // And a rollup after them starts from those rows.
          new DailyUptime(r.db, r.history).rollUp(r.now, r.liveRun);
          expect(new DailyUptime(r.db, r.history).fleet(r.now, WINDOWS, r.liveRun)).toEqual(packed);
        } finally {
          r.cleanup();
        }
      }),
      { numRuns: 40, examples: TWICE_IN_ONE_MS },
    );
  });

  it("when a bot's bar is read after random histories were rolled up, then each day's cell is the exact one from its transitions", () => {
    fc.assert(
      fc.property(generated, (g) => {
        const r = record(g);
        try {
          const from = (Math.floor(r.now / DAY_MS) - HISTORY_DAYS + 1) * DAY_MS;
          for (const [bot, list] of r.transitions) {
            expect(r.rollups.bar(bot, r.now, HISTORY_DAYS, r.liveRun), bot).toEqual(dailyBar({ ...exact(list, r.runs, from, r.now), firstSeen: list[0]!.at }));
          }
        } finally {
          r.cleanup();
        }
      }),
      { numRuns: 40, examples: TWICE_IN_ONE_MS },
    );
  });
});
