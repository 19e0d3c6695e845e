import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Metrics, type MetricsSource } from "../../src/metrics/metrics.ts";
import { SWEEP_METHODS } from "../../src/runner/sweep-telegram.ts";
import type { Silence } from "../../src/alerts/silences.ts";
import { maintenanceToSilences } from "../../src/alerts/maintenance-windows.ts";
import { CHECKS } from "../../checks/index.ts";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const iso = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

function metrics(extra: Partial<MetricsSource> = {}, known = { channels: ["ops-telegram", "mail"], checks: CHECKS }): Metrics {
  const bots = [{ name: "anna", username: "anna_bot" }, { name: "bo", username: "bo_bot" }, { name: "cy", username: "cy_bot" }];
  return new Metrics("test", known).attach({ bots: () => bots, statuses: () => [], alertsFiring: () => ({ degraded: 0, down: 0 }), outboxSize: () => 0, now: () => NOW, ...extra });
}

const samples = (text: string, family: string) => text.split("\n").filter((l) => l.startsWith(`${family}{`) || l.startsWith(`${family} `));

describe("metrics of alert state and silences", () => {
  it("when bots' alerts fire (one of them silenced), then secretary_alert_firing is 1 for those, 0 for every other watched bot", async () => {
    const text = await metrics({ alertFiring: (name) => name !== "bo" }).registry.metrics();
    expect(text).toContain("# TYPE secretary_alert_firing gauge");
    expect(samples(text, "secretary_alert_firing")).toEqual(['secretary_alert_firing{bot="anna"} 1', 'secretary_alert_firing{bot="bo"} 0', 'secretary_alert_firing{bot="cy"} 1']);
  });

  it("when silences and maintenance windows exist, then secretary_silences_active counts those in force now, by kind", async () => {
    const silence = (id: string, from: number, to: number): Silence => ({ id, matchers: { name: "anna" }, startsAt: iso(from), endsAt: iso(to), reason: "r" });
    const maintenance = maintenanceToSilences([{ bots: ["anna", "bo"], start: iso(-10), duration: 3_600_000 }, { bots: ["cy"], start: iso(60), duration: 60_000 }]);
    const text = await metrics({ silences: () => ({ maintenance, silences: [silence("a", -5, 5), silence("b", -5, 50), silence("past", -50, -5), silence("ends-now", -5, 0)] }) }).registry.metrics();
    expect(samples(text, "secretary_silences_active")).toEqual(['secretary_silences_active{kind="silence"} 2', 'secretary_silences_active{kind="maintenance"} 2']);
    // Nothing to read: both kinds still there, at 0.
    expect(samples(await metrics().registry.metrics(), "secretary_silences_active")).toEqual(['secretary_silences_active{kind="silence"} 0', 'secretary_silences_active{kind="maintenance"} 0']);
  });
});

describe("counters whose label sets are known", () => {
  it("when the service has just started, then notifications, check runs and sweep requests have every known series at 0", async () => {
    const text = await metrics().registry.metrics();
    const notifications = samples(text, "secretary_notifications_total");
    expect(notifications).toHaveLength(2 * 3 * 3);
    for (const channel of ["ops-telegram", "mail"])
      for (const kind of ["firing", "reminder", "resolved"])
        for (const result of ["sent", "failed", "dropped"]) expect(notifications).toContain(`secretary_notifications_total{channel="${channel}",kind="${kind}",result="${result}"} 0`);
    const runs = samples(text, "secretary_check_runs_total");
    expect(runs).toHaveLength(CHECKS.length * 5);
    expect(runs).toContain('secretary_check_runs_total{check="token",status="fail"} 0');
    const requests = samples(text, "secretary_telegram_requests_total");
    expect(requests).toHaveLength(SWEEP_METHODS.length * 8);
    expect(requests).toContain('secretary_telegram_requests_total{method="getWebhookInfo",code="timeout"} 0');
  });

  it("when something is counted, then it adds to the series that was at 0", async () => {
    const m = metrics();
    m.observeNotification("mail", "firing", "sent");
    m.observeRequest("getMe", "401", 0.01);
    const text = await m.registry.metrics();
    expect(text).toContain('secretary_notifications_total{channel="mail",kind="firing",result="sent"} 1\n');
    expect(text).toContain('secretary_notifications_total{channel="mail",kind="firing",result="failed"} 0\n');
    expect(text).toContain('secretary_telegram_requests_total{method="getMe",code="401"} 1\n');
  });

  it("when the sweep's client calls a Bot API method, then SWEEP_METHODS lists it (and nothing it never calls)", () => {
    const source = readFileSync(new URL("../../src/runner/sweep-telegram.ts", import.meta.url), "utf8");
    const called = [...source.matchAll(/\.call<[^>]*>\("(\w+)"/g)].map((m) => m[1]);
    expect(called.length).toBeGreaterThan(3);
    expect([...new Set(called)].sort()).toEqual([...SWEEP_METHODS].sort());
  });
});

describe("the shards a replica holds", () => {
  it("when the shard leases change, then secretary_shards_owned is the number held now (0 before any lease)", async () => {
    const m = metrics();
    expect(samples(await m.registry.metrics(), "secretary_shards_owned")).toEqual(["secretary_shards_owned 0"]);
    m.setShardsOwned(4);
    const text = await m.registry.metrics();
    expect(text).toContain("# TYPE secretary_shards_owned gauge");
    expect(samples(text, "secretary_shards_owned")).toEqual(["secretary_shards_owned 4"]);
    m.setShardsOwned(3);
    expect(samples(await m.registry.metrics(), "secretary_shards_owned")).toEqual(["secretary_shards_owned 3"]);
  });
});
