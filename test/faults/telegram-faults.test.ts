/**
 * Issue 8, Telegram faults: whatever goes wrong between the monitor and the Bot API (flood control,
 * 5xx, an nginx error page, slowness, hung and reset connections, a name that does not resolve), the
 * schedule holds, results go `unknown`, no bot alert fires (one monitor-level alert does), and all of
 * it recovers by itself when the fault ends.
 *
 * Every notification goes to a webhook receiver, so "no bot alert" is checked on the wire. The figures
 * (faults injected per kind) are printed at the end for the closing note.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import { deliveries, healthyWorld, MONITORED_METHODS } from "../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver } from "../support/http-receiver.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";
import { allAre, BOTS, config, falseVerdicts, HOLD_MS, printFigures, runFaultRow, type FaultRow, type Figure } from "../support/telegram-fault-row.ts";
import { lagQuantileMs, scrapeScheduleLag } from "../support/schedule-lag.ts";

const methods = MONITORED_METHODS;
const ROWS: FaultRow[] = [
  { kind: "429 storm with retry_after", fault: { methods, status: 429, retryAfter: 3 }, message: /429|Too Many Requests|retry after/i },
  { kind: "500 Internal Server Error", fault: { methods, status: 500 }, message: /Internal Server Error/ },
  { kind: "502 nginx HTML page", fault: { methods, status: 502 }, message: /HTTP 502/ },
  { kind: "503 nginx HTML page", fault: { methods, status: 503 }, message: /HTTP 503/ },
  { kind: "answers slower than the timeout", fault: { methods, latencyMs: 700 }, message: /timeout/ },
  { kind: "hung connection", fault: { methods, hang: true }, message: /timeout/ },
  { kind: "connection reset", fault: { methods, reset: true }, message: /network error/ },
  // getMe passes, so the checks behind it meet the fault: connection, rights, scope, webhook.
  { kind: "502 on every method but getMe", fault: { methods: methods.filter((m) => m !== "getMe"), status: 502 }, message: /HTTP 502/ },
  {
    kind: "429 on the deepest calls only",
    fault: { methods: ["getBusinessAccountStarBalance", "sendChatAction"], status: 429, retryAfter: 3 },
    message: /429|Too Many Requests|retry after/i,
  },
];

/** Faults injected, per kind: fault windows and the Bot API calls that met the fault. */
const figures: Figure[] = [];

describe("Telegram faults", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await closeHttpReceivers();
  });
  afterAll(() => printFigures(figures));

  it.each(ROWS)("when the Bot API fault is $kind, then every bot goes unknown on schedule, no bot alert fires, and all recovers when it ends", (row) => runFaultRow(row, cleanup, figures), 40_000);

  it("when telegram.apiRoot does not resolve, then every bot is unknown with a network or timeout message and no bot alert fires; with the right apiRoot after a restart, all recovers", async () => {
    const receiver = await httpReceiver({ status: 200 });
    const nowhere = "http://secretary-watch-nowhere.invalid";
    const first = await startTestService(config(nowhere, receiver), { monitorEvaluationMs: 500, outbox: { baseBackoffMs: 100, maxBackoffMs: 500 } });
    let stopped = false;
    cleanup.push(() => (stopped ? undefined : first.service.stop()));
    const startedAt = Date.now();
    await until("every bot unknown", () => allAre(first.service, "unknown"), 5000);
    await sleep(HOLD_MS);

    for (const s of first.service.monitor.statuses()) {
      const token = s.checks.find((c) => c.check === "token")!;
      expect(token.status, s.name).toBe("unknown");
      expect(token.message, s.name).toMatch(/network error|timeout/);
    }
    await until("the monitor alert", () => (deliveries(receiver.requests).some((d) => d.scope === "monitor" && d.kind === "firing") ? true : undefined), 3000);
    expect(deliveries(receiver.requests).filter((d) => d.scope === "bot")).toEqual([]);
    expect(first.service.alerts.firing()).toEqual({ degraded: 0, down: 0 });
    const elapsedS = (Date.now() - startedAt) / 1000;
    expect(first.service.scheduler.stats.started).toBeGreaterThanOrEqual(BOTS * Math.floor(elapsedS) - BOTS);
    const lag = await scrapeScheduleLag(first.service.url);
    expect(lagQuantileMs(lag, 0.99)).toBeLessThan(500);
    const requests = (await first.service.metrics.registry.getSingleMetric("secretary_telegram_requests_total")!.get()).values;
    const failedCalls = requests.filter((v) => v.labels.code === "network" || v.labels.code === "timeout").reduce((s, v) => s + v.value, 0);
    expect(failedCalls).toBeGreaterThan(0);
    expect(falseVerdicts(first.logs)).toEqual([]);
    await first.service.stop();
    stopped = true;

    // The fault ends (the address is corrected): the same state, a reachable Bot API.
    const sandbox = await startSandbox({ world: healthyWorld(BOTS) });
    cleanup.push(() => sandbox.close());
    const second = await startTestService(config(sandbox.url, receiver), { monitorEvaluationMs: 500, outbox: { baseBackoffMs: 100, maxBackoffMs: 500 } }, first.dir);
    cleanup.push(() => second.service.stop());
    await until("every bot healthy", () => allAre(second.service, "healthy"), 5000);
    await until("the monitor alert resolved", () => (deliveries(receiver.requests).some((d) => d.scope === "monitor" && d.kind === "resolved") ? true : undefined), 4000);
    expect(deliveries(receiver.requests).map((d) => `${d.key} ${d.kind}`)).toEqual(["monitor firing", "monitor resolved"]);
    expect(falseVerdicts(second.logs)).toEqual([]);
    figures.push({ kind: "unresolvable apiRoot", windows: 1, faultedCalls: failedCalls, sweepsStarted: first.service.scheduler.stats.started, lagP99Ms: Math.round(lagQuantileMs(lag, 0.99)) });
  }, 40_000);
});
