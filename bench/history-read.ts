/**
 * Times the history reads the pages need on a database of 90 days of generated history for 10,000 bots
 * (bench/history-fixture.ts): one bot's history (its 90-day window, bar and incidents) and the fleet-wide
 * uptime over 24 h / 7 d / 30 d / 90 d that `/status` shows; then a start from that database with every
 * bot's state in it too (bench/sweep-result.ts, as the monitor writes them): `SqliteStore.open` and the
 * rollup of the one day that is not rolled up yet. Targets (issue 14): one bot < 20 ms, `/status` < 250 ms
 * (this read ≤ 100 ms of it), start < 2 s. Usage: `npx node bench/history-read.ts [bots] [days] [database]`:
 * with a database path, a database already filled (same bots, days and the fixed `now`) is reused and
 * kept. Forked by bench/run.ts, it sends its figures to its parent (`{ historyRead: HistoryReadResult }`).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utcDay } from "../src/history/spans.ts";
import { durations, timeline, uptime } from "../src/history/uptime.ts";
import { openSqliteStore } from "../src/store/open-store.ts";
import { SqliteDatabase } from "../src/store/sqlite/database.ts";
import { SqliteHistory } from "../src/store/sqlite/history.ts";
import { DailyUptime } from "../src/store/sqlite/rollups.ts";
import type { WatchState } from "../src/watch-state.ts";
import { fillHistory, fixtureBotName } from "./history-fixture.ts";
import { sweepResult } from "./sweep-result.ts";

export interface HistoryReadResult {
  bots: number;
  days: number;
  transitions: number;
  databaseBytes: number;
  /** Medians, ms. */
  oneBotMs: number;
  fleetMs: number;
  /** The first fleet read of the process (nothing prepared, nothing compiled yet). */
  fleetFirstMs: number;
  /** Medians of the starts, ms: the store's open, then the rollup of one day. */
  openMs: number;
  rollUpMs: number;
}

const bots = Number(process.argv[2] ?? 10_000);
const days = Number(process.argv[3] ?? 90);
const DAY = 86_400_000;
const WINDOWS = { "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY };
const STARTS = 3;

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const size = (path: string) => [path, `${path}-wal`].reduce((sum, file) => sum + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0);

const given = process.argv[4];
const dir = given ? undefined : mkdtempSync(join(tmpdir(), "history-bench-"));
const path = given ?? join(dir!, "history.db");
try {
  const db = SqliteDatabase.open({ path });
  const now = Date.parse("2026-06-01T13:37:00.000Z");
  let started = performance.now();
  const existing = db.get<{ id: number | null }>("SELECT MAX(id) AS id FROM monitor_runs")?.id;
  const filled = existing ? { transitions: db.get<{ n: number }>("SELECT COUNT(*) AS n FROM health_transitions")!.n, incidents: db.get<{ n: number }>("SELECT COUNT(*) AS n FROM incidents")!.n, liveRun: existing } : fillHistory(db, { bots, days, now });
  console.log(`fixture: ${bots} bots, ${days} days, ${filled.transitions} health transitions, ${filled.incidents} incidents, ${Math.round(size(path) / 2 ** 20)} MB, ${existing ? "reused" : `filled in ${((performance.now() - started) / 1000).toFixed(1)} s`}`);
  const history = new SqliteHistory(db);
  const rollups = new DailyUptime(db, history);

  const time = (label: string, repeat: number, fn: () => unknown) => {
    fn(); // warm: statements prepared, pages cached
    const samples: number[] = [];
    for (let i = 0; i < repeat; i++) {
      started = performance.now();
      fn();
      samples.push(performance.now() - started);
    }
    console.log(`${label}: median ${median(samples).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms (${repeat} runs)`);
    return median(samples);
  };

  started = performance.now();
  let fleet = rollups.fleet(now, WINDOWS, filled.liveRun);
  const fleetFirstMs = performance.now() - started;
  const flapper = fixtureBotName(0);
  const oneBotMs = time(`one bot's history (${flapper}, flapping: 90-day window, uptime, bar, incidents)`, 20, () => {
    const window = history.botWindow(flapper, now - 90 * DAY, now, filled.liveRun);
    const input = { from: now - 90 * DAY, to: now, ...window };
    timeline(input);
    uptime(durations(input));
    rollups.bar(flapper, now, 90, filled.liveRun);
    history.incidents({ bot: flapper, limit: 50 });
  });
  const fleetMs = time(`/status uptime 24h/7d/30d/90d for every bot (${bots}; the process's first read: ${fleetFirstMs.toFixed(1)} ms)`, 10, () => (fleet = rollups.fleet(now, WINDOWS, filled.liveRun)));
  console.log(`bots answered: ${fleet.size}; ${flapper}: ${JSON.stringify(fleet.get(flapper))}`);

  // A start: every bot's state as the monitor writes it, and the last day not rolled up yet.
  const yesterday = utcDay(now) - 1;
  const state = await openSqliteStore<WatchState>({ path });
  const at = new Date(now).toISOString();
  await Promise.all(Array.from({ length: bots }, (_, i) => state.results.put(fixtureBotName(i), sweepResult(fixtureBotName(i), at))));
  await state.close();
  const opens: number[] = [];
  const rolls: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    db.transaction(() => {
      db.run("DELETE FROM daily_uptime WHERE day = ?", yesterday);
      db.run("DELETE FROM fleet_uptime WHERE day = ?", yesterday);
    });
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    started = performance.now();
    const store = await openSqliteStore<WatchState>({ path });
    opens.push(performance.now() - started);
    started = performance.now();
    const rolled = new DailyUptime(db, history).rollUp(now, filled.liveRun);
    rolls.push(performance.now() - started);
    const loaded = [...store.results.values()].length;
    if (rolled !== 1 || loaded !== bots) throw new Error(`start ${i}: ${rolled} days rolled up, ${loaded} results loaded (1 and ${bots} expected)`);
    await store.close();
  }
  const openMs = median(opens);
  const rollUpMs = median(rolls);
  console.log(`start: SqliteStore.open with ${bots} bots' state ${openMs.toFixed(0)} ms, then the rollup of one day ${rollUpMs.toFixed(0)} ms: ready in ${(openMs + rollUpMs).toFixed(0)} ms (median of ${STARTS})`);
  const result: HistoryReadResult = { bots, days, transitions: filled.transitions, databaseBytes: size(path), oneBotMs, fleetMs, fleetFirstMs, openMs, rollUpMs };
  process.send?.({ historyRead: result });
  db.close();
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
process.disconnect?.();
