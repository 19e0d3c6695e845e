/**
 * Times what people request of the history, through the service's real HTTP app (createApp, over loopback),
 * on a database of 90 days of generated history for 10,000 bots (bench/history-fixture.ts): `GET /status`
 * (every bot's uptime and open incident), `GET /status/bots/:name/history` (one bot's 7 days), `GET /`
 * (a page of 100 bots with their bars) and `GET /bots/:name`. Targets (issue 14): /status < 250 ms, one
 * bot's history < 20 ms, the page < 300 ms.
 * Usage: `npx node bench/history-http.ts [bots] [days] [database]`: a given database already filled (same
 * bots, days and the fixed `now`) is reused and kept. Forked by bench/run.ts, it sends its figures to its
 * parent (`{ historyHttp: HistoryHttpResult }`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Monitor } from "../src/monitor.ts";
import type { BotStatus, MonitoredBot } from "../src/model.ts";
import { createApp } from "../src/http/server.ts";
import { Metrics } from "../src/metrics/metrics.ts";
import { createLogger } from "../src/log.ts";
import { SqliteDatabase } from "../src/store/sqlite/database.ts";
import { SqliteHistoryStore } from "../src/store/sqlite/history-store.ts";
import { fillHistory, fixtureBotName } from "./history-fixture.ts";

export interface HistoryHttpResult {
  bots: number;
  /** Medians in ms, and the first (cold) request of each. */
  statusMs: number;
  statusFirstMs: number;
  botHistoryMs: number;
  pageMs: number;
  botPageMs: number;
  statusBytes: number;
}

const bots = Number(process.argv[2] ?? 10_000);
const days = Number(process.argv[3] ?? 90);
const given = process.argv[4];
const dir = given ? undefined : mkdtempSync(join(tmpdir(), "history-http-bench-"));
const path = given ?? join(dir!, "history.db");
// The fixture's fixed present (bench/history-fixture.ts), a little after its last sweep.
const now = Date.parse("2026-06-01T13:37:00.000Z");
const realNow = Date.now;
const started0 = realNow();
// The app reads the wall clock for its windows; the fixture lives at `now`.
Date.now = () => now + (realNow() - started0);
try {
  const db = SqliteDatabase.open({ path });
  const existing = db.get<{ id: number | null }>("SELECT MAX(id) AS id FROM monitor_runs")?.id;
  let started = performance.now();
  if (!existing) fillHistory(db, { bots, days, now });
  console.log(`fixture: ${bots} bots, ${days} days, ${existing ? "reused" : `filled in ${((performance.now() - started) / 1000).toFixed(1)} s`}`);
  const history = new SqliteHistoryStore(db, () => {});
  const at = new Date(now - 5_000).toISOString();
  const names = Array.from({ length: bots }, (_, i) => fixtureBotName(i));
  const watched = new Map<string, MonitoredBot>(names.map((name) => [name, { name, username: `${name}_bot`, token: "1:x", ownerId: 1, probeChats: [], labels: {}, checks: {} }]));
  const statuses = new Map<string, BotStatus>(
    names.map((name, i) => [name, { name, username: `${name}_bot`, health: i % 5 === 0 ? "degraded" : "healthy", since: at, checkedAt: at, observed: {}, checks: [{ check: "token", status: "ok", durationMs: 3, at, since: at }] }]),
  );
  // The monitor's read side, as the HTTP layer uses it: the bots and their last results.
  const monitor = {
    bots: () => watched.values(),
    status: (name: string) => statuses.get(name),
    statuses: () => statuses.values(),
    get: (name: string) => watched.get(name),
    get size() {
      return watched.size;
    },
  } as unknown as Monitor;
  const app = createApp({ host: "127.0.0.1", port: 0, monitor, metrics: new Metrics("bench"), logger: createLogger({ level: "silent" }), live: () => true, ready: () => true, history });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const time = async (label: string, path: string, repeat: number) => {
    started = performance.now();
    const first = await fetch(`${url}${path}`);
    if (!first.ok && first.status !== 503) throw new Error(`${path}: HTTP ${first.status}`);
    await first.text();
    const firstMs = performance.now() - started;
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < repeat; i++) {
      started = performance.now();
      bytes = (await (await fetch(`${url}${path}`)).text()).length;
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const median = samples[repeat >> 1]!;
    console.log(`${label}: median ${median.toFixed(1)} ms, max ${samples.at(-1)!.toFixed(0)} ms, first ${firstMs.toFixed(0)} ms (${repeat} runs), ${(bytes / 1024).toFixed(0)} KiB`);
    return { median, firstMs, bytes };
  };
  const status = await time(`GET /status (${bots} bots: uptime 24h/7d/30d/90d and open incident each)`, "/status", 10);
  const botHistory = await time(`GET /status/bots/${fixtureBotName(0)}/history (flapping, 7 days)`, `/status/bots/${fixtureBotName(0)}/history`, 20);
  const page = await time(`GET / (${bots} bots, a page of 100 with bars)`, "/", 10);
  await time("GET /?page=50", "/?page=50", 10);
  const botPage = await time(`GET /bots/${fixtureBotName(0)} (flapping)`, `/bots/${fixtureBotName(0)}`, 10);
  const result: HistoryHttpResult = { bots, statusMs: status.median, statusFirstMs: status.firstMs, botHistoryMs: botHistory.median, pageMs: page.median, botPageMs: botPage.median, statusBytes: status.bytes };
  process.send?.({ historyHttp: result });
  server.close();
  db.close();
} finally {
  Date.now = realNow;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
