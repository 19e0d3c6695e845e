/**
 * Issue 17, point 3: a channel with `after: 10s` hears of an alert that lasts 20 s and never of one that
 * lasts 5 s. The service watches the sandbox over loopback (sweeps every second); two bots' tokens are
 * revoked at once, one given back 5 s after its alert fired, the other 20 s after. Two webhook channels
 * post to local HTTP receivers: `chat` hears of everything at once, `pager` (after: 10s) only of the long one.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import { botUsername, control, deliveries, fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver, type HttpReceiver } from "../support/http-receiver.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

const AFTER_MS = 10_000;
const delivered = (receiver: HttpReceiver) => deliveries(receiver.requests);
const summary = (receiver: HttpReceiver) => delivered(receiver).map((m) => `${m.key} ${m.kind}`);
const firingAt = (receiver: HttpReceiver, key: string) => delivered(receiver).find((m) => m.key === key && m.kind === "firing")?.at;

describe("escalation end to end", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await closeHttpReceivers();
  });

  it("when a channel has after: 10s, then it hears of an alert that lasts 20 s (10 s after it fired, and of its resolution) and never of one that lasts 5 s", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(2) });
    cleanup.push(() => sandbox.close());
    const chat = await httpReceiver();
    const pager = await httpReceiver();
    const { service } = await startTestService({
      telegram: { apiRoot: sandbox.url, timeout: "2s" },
      schedule: { interval: "1s", concurrency: 4 },
      bots: fleetBots(2),
      alerts: { failAfter: 1, recoverAfter: 1, channels: { chat: { type: "webhook", url: `${chat.url}/chat` }, pager: { type: "webhook", url: `${pager.url}/pager`, after: "10s" } } },
    });
    cleanup.push(() => service.stop());
    await until("two healthy bots", () => ([...service.monitor.statuses()].filter((s) => s.health === "healthy").length === 2 ? true : undefined), 10_000);

    // bot-0's alert lasts 20 s, bot-1's 5 s, both from their firing (what chat heard at once).
    for (const i of [0, 1]) await control(sandbox.url, "PATCH", `/bots/${botUsername(i)}`, { revoked: true });
    await until("both firings on chat", () => (firingAt(chat, "bot-0") && firingAt(chat, "bot-1") ? true : undefined), 5_000);
    const fired = { "bot-0": Date.parse(firingAt(chat, "bot-0")!), "bot-1": Date.parse(firingAt(chat, "bot-1")!) };
    await sleep(Math.max(0, fired["bot-1"] + 5_000 - Date.now()));
    await control(sandbox.url, "PATCH", `/bots/${botUsername(1)}`, { revoked: false });
    await until("bot-1 resolved on chat", () => (summary(chat).includes("bot-1 resolved") ? true : undefined), 5_000);
    expect(summary(pager)).toEqual([]);

    await until("bot-0's escalation", () => firingAt(pager, "bot-0"), AFTER_MS + 5_000);
    const escalatedAt = Date.parse(firingAt(pager, "bot-0")!);
    expect(escalatedAt - fired["bot-0"]).toBeGreaterThanOrEqual(AFTER_MS);
    expect(escalatedAt - fired["bot-0"]).toBeLessThan(AFTER_MS + 3_000);

    await sleep(Math.max(0, fired["bot-0"] + 20_000 - Date.now()));
    await control(sandbox.url, "PATCH", `/bots/${botUsername(0)}`, { revoked: false });
    await until("bot-0 resolved on pager", () => (summary(pager).includes("bot-0 resolved") ? true : undefined), 5_000);
    await sleep(1_500); // more sweeps: nothing else arrives

    expect(summary(pager)).toEqual(["bot-0 firing", "bot-0 resolved"]);
    expect(delivered(pager)[0]).toMatchObject({ key: "bot-0", scope: "bot", summary: "bot-0 (@healthy_0_bot) is down" });
    expect(summary(chat).sort()).toEqual(["bot-0 firing", "bot-0 resolved", "bot-1 firing", "bot-1 resolved"]);
    expect(service.outbox.size).toBe(0);
  }, 60_000);
});
