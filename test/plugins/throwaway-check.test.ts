/**
 * Adding a check is one module and one line: a throwaway check, registered only here, is validated
 * from the config, swept, exported in /metrics (the state sets, the run counter, and a metric it
 * declares itself) and shown in /status; nothing else in the code names it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../checks/index.ts";
import { ConfigError, parseConfig, validate } from "../../src/config/load.ts";
import { configSchemaFor } from "../../src/config/schema.ts";
import { createLogger } from "../../src/log.ts";
import { startSandbox } from "../../src/sandbox/server.ts";
import { startService, type Service } from "../../src/service.ts";
import { fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { LogSink, until } from "../support/service-harness.ts";
import { THROWAWAY_RUNS, throwaway } from "./throwaway-check.ts";

const registry = [...CHECKS, throwaway];
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

function configFor(apiRoot: string, checks: Record<string, unknown>, botChecks: Record<string, unknown> = {}) {
  const [first, second] = fleetBots(2);
  return {
    telegram: { apiRoot, timeout: "2s" },
    store: { path: join(mkdtempSync(join(tmpdir(), "secretary-watch-plugin-")), "state.json") },
    schedule: { interval: "1s" },
    checks: { webhook: { mode: "any" }, ...checks },
    bots: [{ ...first, checks: botChecks }, second],
  };
}

describe("a throwaway check added in process", () => {
  it("when its options are wrong or it is not registered, then the config is refused naming the key", () => {
    const wrong = validate(configSchemaFor(registry), configFor("http://127.0.0.1:1", { throwaway: { answer: "maybe" } }));
    expect(wrong.ok).toBe(false);
    expect(wrong.ok ? [] : wrong.problems.map((p) => p.text)).toEqual([expect.stringMatching(/^checks\.throwaway\.answer: /)]);
    // The product's own registry does not know it: only the list a test passes does.
    expect(() => parseConfig(JSON.stringify(configFor("http://127.0.0.1:1", { throwaway: {} })), {}, "t.json")).toThrow(ConfigError);
  });

  it("when it is registered and configured, then it is swept with each bot's options and shown in /status and /metrics", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(2) });
    cleanup.push(() => sandbox.close());
    const checked = validate(configSchemaFor(registry), configFor(sandbox.url, { throwaway: { answer: "warn" } }, { throwaway: { note: "anna's own" } }));
    if (!checked.ok) throw new Error(checked.problems.map((p) => p.text).join("\n"));
    const service: Service = await startService({
      config: checked.value,
      logger: createLogger({ level: "silent", destination: new LogSink() }),
      port: 0,
      storeFlushMs: 50,
      checks: registry,
    });
    cleanup.push(() => service.stop());

    type View = { bots: Array<{ name: string; health: string; checks: Array<{ check: string; status: string; message?: string }> }> };
    const view = await until(
      "both bots swept",
      async () => {
        const v = (await (await fetch(`${service.url}/status`)).json()) as View;
        return v.bots.every((b) => b.checks.some((c) => c.check === "throwaway")) ? v : undefined;
      },
      10_000,
    );
    const result = (name: string) => view.bots.find((b) => b.name === name)!.checks.find((c) => c.check === "throwaway")!;
    expect(result("bot-0")).toMatchObject({ status: "warn", message: "told to warn: anna's own (bot id 7100000)" });
    expect(result("bot-1")).toMatchObject({ status: "warn", message: "told to warn: nothing to note (bot id 7100001)" });
    expect(view.bots.map((b) => b.health)).toEqual(["degraded", "degraded"]);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('secretary_check_state{bot="bot-0",check="throwaway",state="warn"} 1');
    expect(metrics).toMatch(/secretary_check_runs_total\{check="throwaway",status="warn"\} [1-9]/);
    expect(metrics).toContain('secretary_check_runs_total{check="throwaway",status="fail"} 0');
    expect(metrics).toMatch(new RegExp(`${THROWAWAY_RUNS}\\{bot="bot-0",answer="warn"\\} [1-9]`));
  }, 20_000);
});
