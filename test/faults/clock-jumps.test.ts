/**
 * Issue 20, item 2 (acceptance 2: "Clock ±1 h: 0 spurious notifications, every bot swept within one
 * interval of the jump"). The service in process, its wall clock stepped (test/support/wall-offset.ts:
 * `Date` only; timers and performance.now() run on) +1 h, back, −1 h and back, during a running fleet:
 * bots down and degraded (firing; one mends after a step back, one breaks while the clock is ahead and
 * mends after it is back), one flapping (firing and resolving every 6 s), one muted by a
 * maintenance window and one by an API silence (both ending hours later), alerts with failAfter and
 * recoverAfter of 2, a 30 min repeatInterval and a channel escalated to after 15 min. The same run
 * without the steps is the control: the notifications must be the same, kind for kind. After each step
 * every bot must be swept within one interval, and nothing shown or stored may be negative: history
 * spans and incidents (HTTP), /status ratios and check durations, any metric sample, the page's durations.
 * Figures are printed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Service } from "../../src/service.ts";
import { botName, botUsername, control, deliveries, fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver } from "../support/http-receiver.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";
import { installSteppedWall, restoreWall, stepWall } from "../support/wall-offset.ts";

const BOTS = 12;
const INTERVAL_MS = 1000;
/** A sweep's own duration and this test's 10 ms polling, on a loaded machine. */
const SLACK_MS = 1000;
const HOUR = 3_600_000;
const ADMIN = "clock-jumps-admin-token-9f3";
const DOWN = [0, 1];
/** bot-1 mends after the first step back: its incident opens before it and closes after it. */
const MENDED = 1;
const MEND_S = 16;
const DEGRADED = 2;
const FLAPPER = 3;
const IN_MAINTENANCE = 4;
const SILENCED = 5;
const HEALTHY = 6;
/** bot-7 breaks while the clock is an hour ahead and mends after it is back: its incident spans the step back. */
const AHEAD = 7;
const AHEAD_BREAK_S = 9;
const AHEAD_MEND_S = 15;
/** Seconds after the start: the flapper breaks and mends (each half 3 s, at least 2 sweeps), the clock steps. */
const FLAP = [2, 5, 8, 11, 14, 17, 20, 23];
const STEPS: Array<[number, number]> = [[7.5, +HOUR], [13.5, -HOUR], [19.5, -HOUR], [25.5, +HOUR]];
const END_S = 28;

interface RunResult {
  notifications: string[];
  /** Per step: the longest any bot waited for its next sweep, ms. */
  sweepGaps: number[];
  negatives: string[];
  /** A healthy bot's known time in the history, and the time watched, at each check (after each step, and at the end). */
  knownAt: Array<{ knownMs: number; watchedMs: number }>;
}

interface HistoryAnswer {
  from: string;
  to: string;
  uptime: { up: number | null; healthy: number | null; known: number | null };
  health: Array<{ from: string; to: string }>;
  gaps: Array<{ from: string; to: string }>;
  incidents: Array<{ start: string; firedAt: string; end: string | null }>;
}

/** Everything negative the service shows or stores now, as "where: what". */
async function negativesNow(service: Service, from: string): Promise<string[]> {
  const found: string[] = [];
  const ratio = (where: string, r: number | null | undefined) => r !== null && r !== undefined && !(r >= 0 && r <= 1) && found.push(`${where}: ratio ${r}`);
  const span = (where: string, a: string, b: string) => Date.parse(b) < Date.parse(a) && found.push(`${where}: ${a} → ${b}`);
  const status = (await (await fetch(`${service.url}/status`)).json()) as { bots: Array<{ name: string; uptime?: Record<string, number | null> | null; checks: Array<{ durationMs: number }>; incident?: { start: string; firedAt: string } | null }> };
  for (const b of status.bots) {
    for (const [w, r] of Object.entries(b.uptime ?? {})) ratio(`/status ${b.name} uptime ${w}`, r);
    for (const c of b.checks) if (c.durationMs < 0) found.push(`/status ${b.name}: durationMs ${c.durationMs}`);
    if (b.incident) span(`/status ${b.name} incident`, b.incident.start, b.incident.firedAt);
    const h = (await (await fetch(`${service.url}/status/bots/${b.name}/history?from=${from}`)).json()) as HistoryAnswer;
    for (const s of [...h.health, ...h.gaps]) span(`history ${b.name}`, s.from, s.to);
    for (const i of h.incidents) {
      span(`incident ${b.name} start→firedAt`, i.start, i.firedAt);
      if (i.end) span(`incident ${b.name} firedAt→end`, i.firedAt, i.end);
    }
    for (const [k, r] of Object.entries(h.uptime)) ratio(`history ${b.name} ${k}`, r);
    // The window is its health and its gaps, exactly.
    const total = [...h.health, ...h.gaps].reduce((sum, s) => sum + Date.parse(s.to) - Date.parse(s.from), 0);
    if (total !== Date.parse(h.to) - Date.parse(h.from)) found.push(`history ${b.name}: spans sum to ${total}, window ${Date.parse(h.to) - Date.parse(h.from)}`);
  }
  // Every incident recorded, wherever the clock put it (the admin API, a window wider than the steps).
  const to = new Date(Date.parse(from) + 4 * HOUR).toISOString();
  const listed = (await (await fetch(`${service.url}/api/v1/incidents?from=${from}&to=${to}&limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { incidents: HistoryAnswer["incidents"] & Array<{ bot: string }> };
  for (const i of listed.incidents) {
    span(`incidents ${i.bot} start→firedAt`, i.start, i.firedAt);
    if (i.end) span(`incidents ${i.bot} firedAt→end`, i.firedAt, i.end);
  }
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  for (const line of metrics.split("\n")) if (/^secretary_\S+ -\d/.test(line)) found.push(`metric ${line}`);
  const page = await (await fetch(`${service.url}/`)).text();
  for (const m of page.matchAll(/>(-\d+ (?:s|min|h|d))</g)) found.push(`page: ${m[1]}`);
  return found;
}

async function run(withSteps: boolean): Promise<RunResult> {
  const sandbox = await startSandbox({ world: healthyWorld(BOTS) });
  const ops = await httpReceiver();
  const pager = await httpReceiver();
  for (const i of DOWN) await control(sandbox.url, "PATCH", `/bots/${botUsername(i)}`, { revoked: true });
  await control(sandbox.url, "PATCH", `/bots/${botUsername(DEGRADED)}/connections/bc-${DEGRADED}`, { rights: { can_transfer_stars: false } });
  await control(sandbox.url, "PATCH", `/bots/${botUsername(IN_MAINTENANCE)}`, { revoked: true });
  const wallAtStart = Date.now();
  const { service } = await startTestService({
    telegram: { apiRoot: sandbox.url, timeout: "2s" },
    schedule: { interval: `${INTERVAL_MS}ms` },
    server: { adminToken: ADMIN },
    alerts: {
      failAfter: 2,
      recoverAfter: 2,
      repeatInterval: "30m",
      sendResolved: true,
      channels: { ops: { type: "webhook", url: `${ops.url}/hook` }, pager: { type: "webhook", url: `${pager.url}/hook`, after: "15m" } },
      maintenance: [{ bots: [botName(IN_MAINTENANCE)], start: new Date(wallAtStart - 3 * HOUR).toISOString(), duration: "6h", reason: "clock test" }],
    },
    bots: fleetBots(BOTS),
  }, { outbox: { baseBackoffMs: 100, maxBackoffMs: 400 } });
  const silence = await fetch(`${service.url}/api/v1/silences`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ matchers: { name: botName(SILENCED) }, startsAt: new Date(wallAtStart - 2 * HOUR).toISOString(), endsAt: new Date(wallAtStart + 3 * HOUR).toISOString(), reason: "clock test" }),
  });
  expect(silence.status).toBe(201);
  await control(sandbox.url, "PATCH", `/bots/${botUsername(SILENCED)}`, { revoked: true });
  const historyFrom = new Date(wallAtStart - 2 * HOUR).toISOString();

  // Every bot's sweeps, as the moments (monotonic) its result changed hands.
  const sweeps = new Map<string, number[]>();
  let watching = true;
  const watcher = (async () => {
    const last = new Map<string, string>();
    while (watching) {
      for (const s of service.monitor.statuses())
        if (last.get(s.name) !== s.checkedAt) {
          last.set(s.name, s.checkedAt);
          (sweeps.get(s.name) ?? sweeps.set(s.name, []).get(s.name)!).push(performance.now());
        }
      await sleep(10);
    }
  })();

  const t0 = performance.now();
  const at = (s: number) => sleep(Math.max(0, t0 + s * 1000 - performance.now()));
  const patch = (i: number, revoked: boolean) => async () => void (await control(sandbox.url, "PATCH", `/bots/${botUsername(i)}`, { revoked }));
  /** A healthy bot's known time in the history now, ms, beside the time watched so far. */
  const known = async () => {
    const h = (await (await fetch(`${service.url}/status/bots/${botName(HEALTHY)}/history?from=${historyFrom}`)).json()) as HistoryAnswer;
    return { knownMs: h.health.reduce((sum, s) => sum + Date.parse(s.to) - Date.parse(s.from), 0), watchedMs: Math.round(performance.now() - t0) };
  };
  const knownAt: Array<{ knownMs: number; watchedMs: number }> = [];
  const negatives: string[] = [];
  const stepMoments: number[] = [];
  /** What is shown and stored, checked a second after each step (and at the end). */
  const look = async () => {
    negatives.push(...(await negativesNow(service, historyFrom)));
    knownAt.push(await known());
  };
  const events: Array<{ s: number; run: () => Promise<void> | void }> = [
    ...FLAP.map((s, i) => ({ s, run: patch(FLAPPER, i % 2 === 0) })),
    { s: MEND_S, run: patch(MENDED, false) },
    { s: AHEAD_BREAK_S, run: patch(AHEAD, true) },
    { s: AHEAD_MEND_S, run: patch(AHEAD, false) },
    ...STEPS.map(([s]) => ({ s: s + 1, run: look })),
    ...(withSteps ? STEPS.map(([s, ms]) => ({ s, run: () => void (stepWall(ms), stepMoments.push(performance.now())) })) : []),
  ].sort((a, b) => a.s - b.s);
  for (const e of events) {
    await at(e.s);
    await e.run();
  }
  await at(END_S);
  await until("the outbox to empty", () => (service.outbox.size === 0 ? true : undefined), 10_000);
  await look();
  watching = false;
  await watcher;
  await service.stop();
  await sandbox.close();

  // The control run's gaps are measured at the same moments, for comparison.
  const moments = withSteps ? stepMoments : STEPS.map(([s]) => t0 + s * 1000);
  const sweepGaps = moments.map((m) => Math.max(...[...sweeps.values()].map((times) => (times.find((t) => t > m) ?? Infinity) - m)));
  const notifications = [
    ...deliveries(ops.requests).map((d) => `ops ${d.key} ${d.kind}`),
    ...deliveries(pager.requests).map((d) => `pager ${d.key} ${d.kind}`),
  ].sort();
  await closeHttpReceivers();
  return { notifications, sweepGaps: sweepGaps.map(Math.round), negatives, knownAt };
}

describe("wall-clock jumps of an hour (in process)", () => {
  beforeAll(() => installSteppedWall());
  afterAll(() => restoreWall());

  it("when the wall clock jumps +1 h, back, −1 h and back during a failing, flapping, muted fleet, then it sends what the control run sends, sweeps every bot within one interval of each jump and shows nothing negative", async () => {
    const controlRun = await run(false);
    const jumped = await run(true);
    const count = (list: string[], kind: string) => list.filter((n) => n.endsWith(` ${kind}`)).length;
    const summary = (r: RunResult) => `${r.notifications.length} (firing ${count(r.notifications, "firing")}, resolved ${count(r.notifications, "resolved")}, reminder ${count(r.notifications, "reminder")}, pager ${r.notifications.filter((n) => n.startsWith("pager")).length})`;
    // The jump run's notifications the control run did not send (a multiset difference).
    const left = [...controlRun.notifications];
    const extra = jumped.notifications.filter((n) => {
      const i = left.indexOf(n);
      if (i >= 0) left.splice(i, 1);
      return i < 0;
    });
    console.log(
      [
        `[clock-jumps] ${BOTS} bots, interval ${INTERVAL_MS} ms, steps ${STEPS.map(([s, ms]) => `${ms > 0 ? "+" : "−"}1 h at ${s} s`).join(", ")}`,
        `  notifications: control ${summary(controlRun)}; with the jumps ${summary(jumped)}; beyond the control ${extra.length}`,
        `  longest wait for a bot's next sweep after each step (ms): ${jumped.sweepGaps.join(", ")} (control, same moments: ${controlRun.sweepGaps.join(", ")})`,
        `  negative durations found: ${jumped.negatives.length} (control ${controlRun.negatives.length})`,
        `  a healthy bot's known time in the history after each step and at the end, ms known / watched: ${jumped.knownAt.map((k) => `${k.knownMs}/${k.watchedMs}`).join(", ")} (control ${controlRun.knownAt.map((k) => `${k.knownMs}/${k.watchedMs}`).join(", ")})`,
      ].join("\n"),
    );
    expect(controlRun.notifications.length).toBeGreaterThan(0);
    expect(jumped.notifications).toEqual(controlRun.notifications);
    for (const gap of jumped.sweepGaps) expect(gap).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    expect(jumped.negatives).toEqual([]);
    expect(controlRun.negatives).toEqual([]);
    // The hour stepped over is not counted: a healthy bot is known at most as long as it was watched.
    for (const k of jumped.knownAt) expect(k.knownMs).toBeLessThanOrEqual(k.watchedMs + 2000);
  }, 110_000);
});
