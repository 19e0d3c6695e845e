/**
 * A stop cancels work instead of abandoning it: the scheduler aborts the signal of a sweep that
 * outlives the stop's deadline, and that signal ends the sweep's Bot API call (the request is closed,
 * not left hanging) with an `unknown` result. The schedule lag is reported per started sweep.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import type { MonitoredBot } from "../../src/model.ts";
import { Scheduler } from "../../src/runner/scheduler.ts";
import { runSweep } from "../../src/runner/sweep.ts";
import { BotClient } from "../../src/telegram/client.ts";
import { createTransport } from "../../src/telegram/transport.ts";

const transport = createTransport();
afterAll(() => transport.close());

/** A Bot API that never answers, and tells when a request it holds is closed by the client. */
async function hangingBotApi() {
  const held: IncomingMessage[] = [];
  let closed = 0;
  const server = createServer((req) => {
    held.push(req);
    req.socket.on("close", () => closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.length,
    closed: () => closed,
    close: () => new Promise((resolve) => server.close(resolve).closeAllConnections()),
  };
}

const bot: MonitoredBot = { name: "anna", token: "7000001:cancel-test-Xq9", username: "anna_bot", ownerId: 1, probeChats: [], labels: {}, checks: {} };

describe("cancelling sweeps", () => {
  it("when a stop's deadline passes with a sweep running, then its signal aborts and the stop counts it", async () => {
    let aborted = false;
    const s = new Scheduler({ intervalMs: 60_000, concurrency: 1, firstSweepWithinMs: 1 }, (_name, signal) =>
      new Promise<void>((resolve) => signal.addEventListener("abort", () => ((aborted = true), resolve()))),
    );
    s.add("anna", false);
    s.start();
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    expect(await s.stop(100)).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(aborted).toBe(true);
  });

  it("when a sweep's signal aborts during a hung Bot API call, then the call is closed at once and the result is unknown", async () => {
    const api = await hangingBotApi();
    try {
      const client = new BotClient(bot.token, { apiRoot: api.url, environment: "prod", timeoutMs: 30_000 }, transport, () => undefined);
      const cancel = new AbortController();
      const sweep = runSweep({ bot, checks: CHECKS, client, signal: cancel.signal });
      await until(() => api.held() === 1);
      const abortedAt = performance.now();
      cancel.abort();
      const status = await sweep;
      expect(performance.now() - abortedAt).toBeLessThan(1000);
      expect(status.checks.find((c) => c.check === "token")).toMatchObject({ status: "unknown", message: "getMe: cancelled: the monitor is stopping" });
      await until(() => api.closed() === 1);
    } finally {
      await api.close();
    }
  });

  it("when sweeps start, then each one's lag behind its slot is observed in seconds", async () => {
    const lags: number[] = [];
    const s = new Scheduler({ intervalMs: 200, concurrency: 4, firstSweepWithinMs: 1, observeLag: (seconds) => lags.push(seconds) }, async () => undefined);
    for (const name of ["a", "b", "c"]) s.add(name, false);
    s.start();
    await new Promise((r) => setTimeout(r, 500));
    await s.stop(100);
    expect(lags.length).toBeGreaterThanOrEqual(3);
    for (const lag of lags) {
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(0.5);
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
