/**
 * Times the history reads the pages need on a database of 90 days of generated history for 10,000 bots
 * (bench/history-fixture.ts): one bot's history (its 90-day window, bar and incidents) and the fleet-wide
 * uptime over 24 h / 7 d / 30 d / 90 d that `/status` shows. Targets (issue 14): one bot < 20 ms,
 * `/status` < 250 ms. Usage: `npx node bench/history-read.ts [bots] [days] [database]`: with a database
 * path, a database already filled (same bots, days and the fixed `now`) is reused and kept.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDatabase } from "../src/store/sqlite/database.ts";
import { SqliteHistory } from "../src/store/sqlite/history.ts";
import { DailyUptime } from "../src/store/sqlite/rollups.ts";
import { timeline, durations, uptime } from "../src/history/uptime.ts";
import { fillHistory, fixtureBotName } from "./history-fixture.ts";

const bots = Number(process.argv[2] ?? 10_000);
const days = Number(process.argv[3] ?? 90);
const DAY = 86_400_000;
const WINDOWS = { "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY };

const given = process.argv[4];
const dir = given ? undefined : mkdtempSync(join(tmpdir(), "history-bench-"));
const path = given ?? join(dir!, "history.db");
try {
  const db = SqliteDatabase.open({ path });
  const now = Date.parse("2026-06-01T13:37:00.000Z");
  let started = performance.now();
  const existing = db.get<{ id: number | null }>("SELECT MAX(id) AS id FROM monitor_runs")?.id;
  const filled = existing ? { transitions: db.get<{ n: number }>("SELECT COUNT(*) AS n FROM health_transitions")!.n, incidents: db.get<{ n: number }>("SELECT COUNT(*) AS n FROM incidents")!.n, liveRun: existing } : fillHistory(db, { bots, days, now });
  console.log(`fixture: ${bots} bots, ${days} days, ${filled.transitions} health transitions, ${filled.incidents} incidents, ${Math.round(statSync(path).size / 2 ** 20)} MB, ${existing ? "reused" : `filled in ${((performance.now() - started) / 1000).toFixed(1)} s`}`);
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
    samples.sort((a, b) => a - b);
    console.log(`${label}: median ${samples[Math.floor(repeat / 2)]!.toFixed(1)} ms, max ${samples.at(-1)!.toFixed(1)} ms (${repeat} runs)`);
  };

  const flapper = fixtureBotName(0);
  time(`one bot's history (${flapper}, flapping: 90-day window, uptime, bar, incidents)`, 20, () => {
    const window = history.botWindow(flapper, now - 90 * DAY, now, filled.liveRun);
    const input = { from: now - 90 * DAY, to: now, ...window };
    timeline(input);
    uptime(durations(input));
    rollups.bar(flapper, now, 90, filled.liveRun);
    history.incidents({ bot: flapper, limit: 50 });
  });
  let fleet = new Map<string, unknown>();
  time(`/status uptime 24h/7d/30d/90d for every bot (${bots})`, 10, () => (fleet = rollups.fleet(now, WINDOWS, filled.liveRun)));
  console.log(`bots answered: ${fleet.size}; ${flapper}: ${JSON.stringify(fleet.get(flapper))}`);
  db.close();
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
