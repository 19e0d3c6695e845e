import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Service } from "../../src/service.ts";
import { fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver } from "../support/http-receiver.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

/**
 * Issue 17, point 4: a weekly `cron` window at a time the test sets mutes notifications within it, across a
 * restart in the middle. The service watches the sandbox over loopback and notifies a local HTTP receiver.
 */

const ADMIN = "maintenance-admin-token-0123456789";
const ZONE = "Europe/Berlin";
const WINDOW_MS = 10_000;

/** A weekly node-cron expression (with seconds) for the wall-clock second of `at` in `timeZone`. */
function weeklyCronAt(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", weekday: "short", hour: "numeric", minute: "numeric", second: "numeric" }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${Number(part("second"))} ${Number(part("minute"))} ${Number(part("hour"))} * * ${part("weekday").toUpperCase()}`;
}

interface Delivery {
  at: number;
  key: string;
  kind: string;
}

const control = (url: string, path: string, body: unknown) =>
  fetch(`${url}/_sandbox${path}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("recurring maintenance end to end", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await closeHttpReceivers();
  });

  it("when a weekly cron window opens and the service restarts inside it, then its bots are notified only after it closes; other bots at once", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(2) });
    cleanup.push(() => sandbox.close());
    const deliveries: Delivery[] = [];
    const receiver = await httpReceiver((_i, request) => {
      const message = JSON.parse(request.body.toString()) as { key: string; kind: string };
      deliveries.push({ at: Date.now(), key: message.key, kind: message.kind });
      return { status: 200 };
    });
    // The window opens on a whole second a little ahead, this weekday, in Berlin.
    const opens = Math.ceil((Date.now() + 6000) / 1000) * 1000;
    const closes = opens + WINDOW_MS;
    const cron = weeklyCronAt(opens, ZONE);
    const bots = fleetBots(2) as Array<Record<string, unknown>>;
    bots[0]!.labels = { tier: "vip" };
    const config = {
      telegram: { apiRoot: sandbox.url, timeout: "2s" },
      server: { adminToken: ADMIN },
      schedule: { interval: "500ms" },
      alerts: {
        failAfter: 1,
        recoverAfter: 1,
        channels: { hook: { type: "webhook", url: receiver.url } },
        maintenance: [{ labels: { tier: "vip" }, cron, timezone: ZONE, duration: `${WINDOW_MS / 1000}s`, reason: "weekly deploy" }],
      },
      bots,
    };

    const first = await startTestService(config, { outbox: { baseBackoffMs: 100, maxBackoffMs: 200 } });
    let service: Service = first.service;
    cleanup.push(() => service.stop());
    await until("both bots healthy", () => ([...service.monitor.statuses()].filter((s) => s.health === "healthy").length === 2 ? true : undefined), 10_000);
    expect(Date.now()).toBeLessThan(opens); // the window has not opened yet: no occurrence was in effect at start
    // Before it opens, the page and /status show the vip bot's next window, and nothing on the other.
    const before = (await (await fetch(`${service.url}/status`)).json()) as { bots: Array<{ name: string; maintenance: unknown }> };
    const next = { startsAt: new Date(opens).toISOString(), endsAt: new Date(closes).toISOString(), reason: "weekly deploy" };
    expect(before.bots.map((b) => [b.name, b.maintenance])).toEqual([["bot-0", expect.objectContaining(next)], ["bot-1", null]]);
    expect(await (await fetch(`${service.url}/`)).text()).toMatch(/Next maintenance<\/b> [^<]*for 10 s: <span class="reason">weekly deploy/);

    await until("the window to open", () => (Date.now() >= opens + 100 ? true : undefined), 10_000);
    await control(sandbox.url, "/bots/healthy_0_bot", { revoked: true });
    await control(sandbox.url, "/bots/healthy_1_bot", { revoked: true });
    // bot-1 is outside the window: its alert goes out at once, so the channel works.
    await until("bot-1's alert", () => (deliveries.some((d) => d.key === "bot-1") ? true : undefined), 5000);
    await until("bot-0's muted firing", () => (service.alerts.alertState("bot-0")?.firing ? true : undefined), 5000);

    // Restart in the middle of the window: the new process never saw the occurrence begin.
    await service.stop();
    expect(Date.now()).toBeLessThan(closes - 3000);
    service = (await startTestService(config, { outbox: { baseBackoffMs: 100, maxBackoffMs: 200 } }, first.dir)).service;
    await until("a sweep of bot-0 after the restart", () => (service.monitor.status("bot-0")?.health === "down" ? true : undefined), 5000);

    const silences = (await (await fetch(`${service.url}/api/v1/silences`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      silences: unknown[];
      maintenance: Array<{ cron: string; timezone: string; active: boolean; current: { startsAt: string; endsAt: string } | null; next: { startsAt: string } | null }>;
    };
    expect(silences.silences).toEqual([]);
    expect(silences.maintenance).toHaveLength(1);
    expect(silences.maintenance[0]).toMatchObject({ cron, timezone: ZONE, active: true, current: { startsAt: new Date(opens).toISOString(), endsAt: new Date(closes).toISOString() } });
    // Next week, same wall-clock time in Berlin (an hour either way when summer time changes in between).
    expect(Math.abs(Date.parse(silences.maintenance[0]!.next!.startsAt) - opens - 7 * 86_400_000)).toBeLessThanOrEqual(3_600_000);
    const page = await (await fetch(`${service.url}/`)).text();
    expect(page).toContain("In maintenance");
    expect(page).toContain("weekly deploy");

    await sleep(Math.max(0, closes - 1000 - Date.now())); // the rest of the window, sweeping every 500 ms
    expect(deliveries.filter((d) => d.key === "bot-0")).toEqual([]);

    // The window closes with the bot still down: the alert goes out then, once.
    await until("bot-0's alert after the window", () => deliveries.find((d) => d.key === "bot-0"), 5000);
    await sleep(1500);
    const told = deliveries.filter((d) => d.key === "bot-0");
    expect(told).toHaveLength(1);
    expect(told[0]!.kind).toBe("firing");
    expect(told[0]!.at).toBeGreaterThanOrEqual(closes);
    expect(deliveries.filter((d) => d.key === "bot-1").map((d) => d.kind)).toEqual(["firing"]);
  }, 60_000);
});
