/**
 * Replicas on one PostgreSQL (README, "Reports"): every replica runs the report's cron, but only the one
 * holding the monitor alert's shard sends, and the occurrence is claimed in the shared `report_runs`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AlertMessage } from "../../src/alerts/types.ts";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service } from "../../src/service.ts";
import { closeHttpReceivers, httpReceiver } from "../support/http-receiver.ts";
import { LogSink, sleep, until } from "../support/service-harness.ts";
import { testDatabaseUrl } from "../support/test-database.ts";

describe("reports with replicas", () => {
  const services: Service[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
    await closeHttpReceivers();
  });

  it("when three replicas share the store and the report comes due, then exactly one of them sends it, the monitor shard's holder", async () => {
    const url = await testDatabaseUrl();
    const hook = await httpReceiver();
    const t0 = Date.now();
    const config = parseConfig(
      JSON.stringify({
        store: { url },
        shard: { count: 3 },
        alerts: { channels: { hook: { type: "webhook", url: `${hook.url}/hook` } } },
        reports: [{ name: "weekly", cron: `${new Date(t0 + 5_000).getUTCSeconds()} * * * * *`, channels: ["hook"] }],
      }),
      {},
      "test config",
    );
    for (let i = 0; i < 3; i++) services.push(await startService({ config, logger: createLogger({ level: "warn", destination: new LogSink() }), port: 0, leaseMs: 2_000, replicaPollMs: 200 }));
    await until("every shard held", () => (services.every((s) => s.leases!.held().size > 0) ? true : undefined), 10_000);

    await until("the report", () => (hook.requests.length > 0 ? true : undefined), 15_000);
    await sleep(1_500);
    const reports = hook.requests.map((r) => JSON.parse(r.body.toString("utf8")) as AlertMessage).filter((m) => m.kind === "report");
    expect(reports).toHaveLength(1);
    const senders = services.filter((s) => s.leases!.holdsBot("monitor"));
    expect(senders).toHaveLength(1);
    const counted = await Promise.all(services.map(async (s) => (await s.metrics.registry.metrics()).includes('secretary_notifications_total{channel="hook",kind="report",result="sent"} 1')));
    expect(counted.filter(Boolean)).toHaveLength(1);
    expect(counted[services.indexOf(senders[0]!)]).toBe(true);
  }, 40_000);
});
