/**
 * Times `GET /` and `GET /bots/:name` on a database of 90 days of generated history for 10,000 bots
 * (bench/history-fixture.ts), through the page's own router, in process (issue 14: the page < 300 ms).
 * Usage: `npx node bench/page-read.ts [bots] [days] [database]`: a given database already filled (same
 * bots, days and the fixed `now`) is reused and kept.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import type { Monitor } from "../src/monitor.ts";
import type { BotStatus } from "../src/model.ts";
import { SqliteDatabase } from "../src/store/sqlite/database.ts";
import { SqliteHistoryStore } from "../src/store/sqlite/history-store.ts";
import { statusPageRouter } from "../src/http/status-page.ts";
import { fillHistory, fixtureBotName } from "./history-fixture.ts";

const bots = Number(process.argv[2] ?? 10_000);
const days = Number(process.argv[3] ?? 90);
const given = process.argv[4];
const dir = given ? undefined : mkdtempSync(join(tmpdir(), "page-bench-"));
const path = given ?? join(dir!, "history.db");
const now = Date.parse("2026-06-01T13:37:00.000Z");
try {
  const db = SqliteDatabase.open({ path });
  const existing = db.get<{ id: number | null }>("SELECT MAX(id) AS id FROM monitor_runs")?.id;
  let started = performance.now();
  if (!existing) fillHistory(db, { bots, days, now });
  console.log(`fixture: ${bots} bots, ${days} days, ${existing ? "reused" : `filled in ${((performance.now() - started) / 1000).toFixed(1)} s`}`);
  const store = new SqliteHistoryStore(db, () => {});
  const at = new Date(now - 5_000).toISOString();
  const names = Array.from({ length: bots }, (_, i) => fixtureBotName(i));
  const statuses = new Map<string, BotStatus>(
    names.map((name, i) => [name, { name, username: `${name}_bot`, health: i % 5 === 0 ? "degraded" : "healthy", since: at, checkedAt: at, observed: {}, checks: [{ check: "token", status: "ok", durationMs: 3, at, since: at }] }]),
  );
  const monitor = {
    *bots() {
      for (const name of names) yield { name, username: `${name}_bot`, token: "1:x" };
    },
    status: (name: string) => statuses.get(name),
    get: (name: string) => (statuses.has(name) ? { name, username: `${name}_bot` } : undefined),
  } as unknown as Monitor;
  const app = express().use(statusPageRouter({ monitor, history: store, clock: { wall: () => now } }));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const time = async (label: string, path: string, repeat: number) => {
    await (await fetch(`${url}${path}`)).text(); // warm
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < repeat; i++) {
      started = performance.now();
      bytes = (await (await fetch(`${url}${path}`)).text()).length;
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    console.log(`${label}: median ${samples[repeat >> 1]!.toFixed(0)} ms, max ${samples.at(-1)!.toFixed(0)} ms (${repeat} runs), ${(bytes / 1024).toFixed(0)} KiB`);
  };
  await time(`GET / (${bots} bots, a page of 100 with bars)`, "/", 10);
  await time("GET /?page=50", "/?page=50", 10);
  await time(`GET /bots/${fixtureBotName(0)} (flapping)`, `/bots/${fixtureBotName(0)}`, 10);
  server.close();
  db.close();
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
