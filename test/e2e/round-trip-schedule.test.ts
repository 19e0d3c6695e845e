/**
 * The live test runs on its own interval, and a bot may override it (`bots[].checks.round-trip.interval`),
 * e.g. a VIP profile tested every minute while the rest of the fleet is tested hourly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

/** A demo-world bot (config/demo.yaml), e.g. `no-stars`: token, `no_stars_secretary_bot`, `bc-no-stars`. */
const bot = (name: string, token: string, owner: number, extra: Record<string, unknown> = {}) => ({
  name,
  token,
  username: `${name.replace(/-/g, "_")}_secretary_bot`,
  owner: { id: owner },
  businessConnectionId: `bc-${name}`,
  probeChats: [555000111],
  ...extra,
});

describe("round-trip scheduling", () => {
  let sandbox: Sandbox;
  let service: Service;

  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    ({ service } = await startTestService({
      telegram: { apiRoot: sandbox.url, timeout: "2s" },
      schedule: { interval: "500ms" },
      testAccount: { session: "sandbox:555000111" },
      checks: { "round-trip": { enabled: true, mode: "outbound", interval: "1h", timeout: "2s" } },
      bots: [
        bot("anna", "7000001:demo-anna-Xk2v9", 123456789, { checks: { "round-trip": { interval: "1s" } } }),
        bot("no-stars", "7000011:demo-no-stars-Gh2b1", 100000011),
      ],
    }));
  });
  afterAll(async () => {
    await service?.stop();
    await sandbox?.close();
  });

  it("when one bot overrides the round-trip interval, then it is tested on its own interval and the others on the global one", async () => {
    const runs = new Map<string, Set<string>>([
      ["anna", new Set()],
      ["no-stars", new Set()],
    ]);
    const record = () => {
      for (const s of service.monitor.statuses()) {
        const rt = s.checks.find((c) => c.check === "round-trip");
        if (rt && rt.status !== "skipped") runs.get(s.name)?.add(rt.at);
      }
    };
    await until("anna's first round-trip", () => (record(), runs.get("anna")!.size > 0 ? true : undefined), 15_000);
    const started = Date.now();
    while (Date.now() - started < 4500) {
      record();
      await sleep(50);
    }
    // 1 s apart: four or five more in 4.5 s; the hourly bot at most its first.
    expect(runs.get("anna")!.size).toBeGreaterThanOrEqual(4);
    expect(runs.get("no-stars")!.size).toBeLessThanOrEqual(1);
  });
});
