/**
 * One Telegram fault, end to end (test/faults): a healthy fleet of BOTS bots watched by the service in
 * process, the fault injected through the sandbox on the wire, then held for three sweeps and cleared.
 * Asserts that every bot goes unknown on schedule with the row's message, no bot alert fires (the one
 * "cannot reach Telegram" monitor alert does), and all recovers when the fault ends.
 */
import { expect } from "vitest";
import type { FaultInput } from "../../src/sandbox/faults.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import type { Service } from "../../src/service.ts";
import { clearFaults, deliveries, fleetBots, healthyWorld, injectFault, MONITORED_METHODS, sandboxCalls, webhookChannel } from "./healthy-fleet.ts";
import { httpReceiver, type HttpReceiver } from "./http-receiver.ts";
import { sleep, startTestService, until, type LogSink } from "./service-harness.ts";
import { lagBetween, lagQuantileMs, scrapeScheduleLag } from "./schedule-lag.ts";

export const BOTS = 20;
export const INTERVAL_MS = 1000;
/** How long a fault stays after every bot has gone unknown: at least three sweeps of every bot. */
export const HOLD_MS = 3 * INTERVAL_MS + 500;

export function config(apiRoot: string, receiver: HttpReceiver) {
  return {
    telegram: { apiRoot, timeout: "300ms" },
    schedule: { interval: `${INTERVAL_MS}ms`, concurrency: 32 },
    alerts: { failAfter: 2, recoverAfter: 2, channels: webhookChannel(receiver.url) },
    bots: fleetBots(BOTS),
  };
}

export interface FaultRow {
  kind: string;
  fault: FaultInput;
  /** What every unknown result must say. */
  message: RegExp;
}

/** One fault kind's figures: fault windows and the Bot API calls that met the fault. */
export type Figure = { kind: string; windows: number; faultedCalls: number; sweepsStarted: number; lagP99Ms: number };

/** Bots whose health went to degraded or down, per the service's own "bot health changed" log. */
export function falseVerdicts(logs: LogSink): string[] {
  return logs.text
    .split("\n")
    .filter((line) => line.includes("bot health changed"))
    .map((line) => JSON.parse(line) as { bot: string; to: string })
    .filter((l) => l.to === "degraded" || l.to === "down")
    .map((l) => `${l.bot} → ${l.to}`);
}

export const healths = (service: Service) => [...service.monitor.statuses()].map((s) => s.health);
/** Each bot's health, with the messages of its non-ok checks when it is not healthy (so a failure says why). */
export const explained = (service: Service) =>
  [...service.monitor.statuses()].map((s) =>
    s.health === "healthy" ? "healthy" : `${s.name} ${s.health}: ${s.checks.filter((c) => c.status !== "ok").map((c) => `${c.check} ${c.status} ${c.message}`).join("; ")}`,
  );
export const allAre = (service: Service, health: string) => {
  const h = healths(service);
  return h.length === BOTS && h.every((x) => x === health) ? true : undefined;
};

/** Runs one row; what it starts is closed through `cleanup`; its figures are pushed to `figures`. */
export async function runFaultRow(row: FaultRow, cleanup: Array<() => Promise<unknown> | unknown>, figures: Figure[]): Promise<void> {
  const sandbox: Sandbox = await startSandbox({ world: healthyWorld(BOTS) });
  cleanup.push(() => sandbox.close());
  const receiver = await httpReceiver({ status: 200 });
  const { service, logs } = await startTestService(config(sandbox.url, receiver), {
    monitorEvaluationMs: 500,
    outbox: { baseBackoffMs: 100, maxBackoffMs: 500 },
  });
  cleanup.push(() => service.stop());
  await until("every bot healthy", () => allAre(service, "healthy"), 10_000);

  // The fault, on the monitored methods only.
  const stats = service.scheduler.stats;
  const startedBefore = stats.started;
  const lagFrom = await scrapeScheduleLag(service.url);
  const faulted = row.fault.methods ?? MONITORED_METHODS;
  const callsBefore = await sandboxCalls(sandbox.url, faulted);
  const getMeBefore = await sandboxCalls(sandbox.url, ["getMe"]);
  const injectedAt = Date.now();
  await injectFault(sandbox.url, row.fault);
  await until("every bot unknown", () => allAre(service, "unknown"), 5000).catch((err: Error) => {
    throw new Error(`${err.message}; bots: ${[...new Set(explained(service))].join(" | ")}`);
  });
  await sleep(HOLD_MS);

  const during = [...service.monitor.statuses()];
  expect(during.map((s) => s.health)).toEqual(Array(BOTS).fill("unknown"));
  for (const s of during) {
    const unknown = s.checks.filter((c) => c.status === "unknown");
    expect(unknown.length, s.name).toBeGreaterThan(0);
    for (const c of unknown) expect(c.message, `${s.name} ${c.check}`).toMatch(row.message);
    expect(s.checks.filter((c) => c.status === "fail" || c.status === "warn"), s.name).toEqual([]);
  }
  expect(service.alerts.firing()).toEqual({ degraded: 0, down: 0 });
  await until("the monitor alert", () => (deliveries(receiver.requests).some((d) => d.scope === "monitor" && d.kind === "firing") ? true : undefined), 3000);

  // The schedule held: sweeps kept starting at their slots, none waited long.
  const elapsedS = (Date.now() - injectedAt) / 1000;
  const started = stats.started - startedBefore;
  const lag = lagBetween(lagFrom, await scrapeScheduleLag(service.url));
  const lagP99 = Math.round(lagQuantileMs(lag, 0.99));
  expect(started).toBeGreaterThanOrEqual(BOTS * Math.floor(elapsedS) - BOTS);
  expect(lagP99).toBeLessThan(500);
  const faultedCalls = (await sandboxCalls(sandbox.url, faulted)) - callsBefore;
  expect(faultedCalls).toBeGreaterThan(0);
  if (row.fault.status === 429) {
    // Flood control is honoured: a bot's sweeps reach Telegram (getMe first) about once per retry_after, not once a second.
    const perBot = Math.ceil(elapsedS / row.fault.retryAfter! + 1);
    expect((await sandboxCalls(sandbox.url, ["getMe"])) - getMeBefore).toBeLessThanOrEqual(BOTS * perBot);
  }

  // The fault ends: every bot is healthy again within a few sweeps (plus retry_after), the monitor alert resolves.
  await clearFaults(sandbox.url);
  const recoverMs = 4 * INTERVAL_MS + (row.fault.retryAfter ?? 0) * 1000;
  await until("every bot healthy again", () => allAre(service, "healthy"), recoverMs);
  await until("the monitor alert resolved", () => (deliveries(receiver.requests).some((d) => d.scope === "monitor" && d.kind === "resolved") ? true : undefined), 4000);
  await sleep(INTERVAL_MS);

  const sent = deliveries(receiver.requests);
  expect(sent.filter((d) => d.scope === "bot")).toEqual([]);
  expect(sent.map((d) => `${d.key} ${d.kind}`)).toEqual(["monitor firing", "monitor resolved"]);
  expect(falseVerdicts(logs)).toEqual([]);
  expect(explained(service)).toEqual(Array(BOTS).fill("healthy"));
  figures.push({ kind: row.kind, windows: 1, faultedCalls, sweepsStarted: started, lagP99Ms: lagP99 });
}

/** The figures, one line per fault kind and a total, for the closing note. */
export function printFigures(figures: readonly Figure[]): void {
  const total = figures.reduce((s, f) => s + f.faultedCalls, 0);
  for (const f of figures)
    console.log(`[faults] ${f.kind}: ${f.windows} window(s), ${f.faultedCalls} faulted Bot API calls, ${f.sweepsStarted} sweeps started during the fault, lag p99 ${f.lagP99Ms} ms`);
  console.log(`[faults] total: ${figures.length} fault kinds, ${total} faulted Bot API calls, 0 bot alerts, 0 degraded/down verdicts`);
}
