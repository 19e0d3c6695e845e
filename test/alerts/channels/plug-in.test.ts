/**
 * Adding a channel type is one module and one line: the throwaway channel of ./throwaway-channel.ts,
 * listed in a registry of the test's own, is validated by the config (its options, the shared routing
 * options, errors with key paths) and delivers through the service and `alerts test`, with nothing in
 * `src/` changed for it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineChannel } from "../../../src/alerts/channels/define-channel.ts";
import { CHANNELS, channelDeps, createChannels } from "../../../src/alerts/channels/index.ts";
import { testChannels } from "../../../src/cli/alerts-test-command.ts";
import { validate } from "../../../src/config/load.ts";
import { configSchema, configSchemaWith, type Config } from "../../../src/config/schema.ts";
import { createLogger } from "../../../src/log.ts";
import { startSandbox, type Sandbox } from "../../../src/sandbox/server.ts";
import { startService, type Service } from "../../../src/service.ts";
import { alertMessage } from "../../support/alert-fixtures.ts";
import { control, fleetBots, healthyWorld } from "../../support/healthy-fleet.ts";
import { until } from "../../support/service-harness.ts";
import { inboxes, throwawayChannel } from "./throwaway-channel.ts";
import { testStore } from "../../support/test-store.ts";

/** The one line: the built-in channel types and the throwaway one. */
const REGISTRY = [...CHANNELS, throwawayChannel];
/** The built-in channel types as error messages list them, in the registry's order. */
const BUILT_IN = CHANNELS.map((c) => c.type).join(", ");

const withChannels = (channels: Record<string, unknown>) => ({ alerts: { channels } });

function configWith(data: unknown): Config {
  const result = validate(configSchemaWith(REGISTRY), data);
  if (!result.ok) throw new Error(result.problems.map((p) => p.text).join("\n"));
  return result.value;
}

beforeEach(() => inboxes.clear());

describe("a channel type added by a registry", () => {
  it("when the config names it, then its options are validated and defaulted and the routing options are added", () => {
    const config = configWith(withChannels({ scratch: { type: "throwaway", inbox: "ops" } }));
    expect(config.alerts.channels.scratch).toEqual({ type: "throwaway", inbox: "ops", prefix: "[throwaway]", minHealth: "degraded", bots: {} });
  });

  it("when its options are wrong, then each problem names its key path", () => {
    const result = validate(
      configSchemaWith(REGISTRY),
      withChannels({ scratch: { type: "throwaway", inbox: "Ops!", colour: "red", minHealth: "sometimes" }, other: { type: "carrier-pigeon" } }),
    );
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.map((p) => p.text);
    expect(problems).toEqual(
      expect.arrayContaining([
        "alerts.channels.scratch.inbox: expected an inbox name of lowercase letters",
        expect.stringMatching(/^alerts\.channels\.scratch\.colour: unknown key .*allowed: type, inbox, prefix, minHealth, bots/),
        expect.stringMatching(/^alerts\.channels\.scratch\.minHealth: /),
        `alerts.channels.other.type: expected one of ${BUILT_IN}, throwaway, got "carrier-pigeon"`,
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it("when a channel's own options take a key the registry gives every channel, then defineChannel refuses it by name", () => {
    const define = () =>
      defineChannel({ type: "clash", options: z.strictObject({ url: z.string(), minHealth: z.string() }), create: () => ({ send: async () => {} }) });
    expect(define).toThrow('channel type "clash": option minHealth is given to every channel by the registry');
  });

  it("when a registry lists a channel type twice, then no config schema is built from it and the error names the type", () => {
    expect(() => configSchemaWith([...REGISTRY, throwawayChannel])).toThrow('the channel registry lists "throwaway" more than once');
  });

  it("when the registry does not list it, then the config refuses the type and createChannels names it", () => {
    const result = validate(configSchema, withChannels({ scratch: { type: "throwaway", inbox: "ops" } }));
    expect(result.ok ? [] : result.problems.map((p) => p.text)).toEqual([
      `alerts.channels.scratch.type: expected one of ${BUILT_IN}, got "throwaway"`,
    ]);
    const config = configWith(withChannels({ scratch: { type: "throwaway", inbox: "ops" } }));
    expect(() => createChannels(config.alerts.channels, channelDeps(config))).toThrow(
      `channel "scratch": no channel type "throwaway" (known: ${BUILT_IN})`,
    );
  });

  it("when channels are created from the registry, then each routes by its minHealth and bots selector", async () => {
    const config = configWith(
      withChannels({ all: { type: "throwaway", inbox: "all" }, vip: { type: "throwaway", inbox: "vip", minHealth: "down", bots: { tier: "vip" } } }),
    );
    const [all, vip] = createChannels(config.alerts.channels, channelDeps(config), REGISTRY);
    const degraded = alertMessage({ severity: "degraded", bot: { name: "anna", username: "anna_bot", labels: { tier: "vip" } } });
    const downElsewhere = alertMessage({ severity: "down", bot: { name: "ben", username: "ben_bot", labels: { tier: "free" } } });
    const downVip = alertMessage({ severity: "down", bot: { name: "anna", username: "anna_bot", labels: { tier: "vip" } } });
    expect([all, vip].map((c) => [c!.name, c!.type])).toEqual([
      ["all", "throwaway"],
      ["vip", "throwaway"],
    ]);
    expect([degraded, downElsewhere, downVip].map((m) => [all!.accepts(m), vip!.accepts(m)])).toEqual([
      [true, false],
      [true, false],
      [true, true],
    ]);
    await vip!.send(downVip, AbortSignal.timeout(1_000));
    expect(inboxes.get("vip")?.map((d) => d.line)).toEqual([`[throwaway] ${downVip.summary}`]);
  });

  it("when `alerts test` runs with the registry, then the test notification is delivered through it", async () => {
    const config = configWith(withChannels({ scratch: { type: "throwaway", inbox: "ops", prefix: ">>" } }));
    expect(await testChannels(config, undefined, REGISTRY)).toEqual([{ channel: "scratch", type: "throwaway", ok: true }]);
    const [delivered] = inboxes.get("ops") ?? [];
    expect(delivered?.message.kind).toBe("test");
    expect(delivered?.line).toBe(`>> ${delivered?.message.summary}`);
  });

  it("when `alerts test` meets an owner channel, then it sends nothing there (its readers are creators) and says so, without failing", async () => {
    const config = configWith(withChannels({ scratch: { type: "throwaway", inbox: "ops" }, creators: { type: "owner" } }));
    const results = await testChannels(config, undefined, REGISTRY);
    expect(results).toEqual([
      { channel: "scratch", type: "throwaway", ok: true },
      { channel: "creators", type: "owner", ok: true, skipped: expect.stringContaining("profile owner") },
    ]);
  });
});

describe("the service with a channel type added by a registry", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("when a bot goes down, then the firing notification is delivered through it, counted under its name, and a channel it does not route to gets nothing", async () => {
    const sandbox: Sandbox = await startSandbox({ world: healthyWorld(2) });
    cleanup.push(() => sandbox.close());
    await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const config = configWith({
      telegram: { apiRoot: sandbox.url, timeout: "300ms" },
      schedule: { interval: "1s" },
      store: await testStore(mkdtempSync(join(tmpdir(), "secretary-watch-plug-in-"))),
      bots: fleetBots(2),
      alerts: {
        failAfter: 1,
        channels: { scratch: { type: "throwaway", inbox: "ops" }, elsewhere: { type: "throwaway", inbox: "elsewhere", bots: { name: "bot-1" } } },
      },
    });
    const service: Service = await startService({ config, logger: createLogger({ level: "silent" }), port: 0, storeFlushMs: 50, channels: REGISTRY });
    cleanup.push(() => service.stop());

    const [delivered] = await until("the notification", () => inboxes.get("ops"), 10_000);
    expect(delivered).toMatchObject({ channel: "scratch", message: { kind: "firing", key: "bot-0", severity: "down" } });
    expect(delivered!.line).toBe(`[throwaway] ${delivered!.message.summary}`);
    await until("an empty outbox", () => service.outbox.size === 0, 5_000);
    expect(inboxes.get("elsewhere")).toBeUndefined();
    const counted = await service.metrics.registry.getSingleMetricAsString("secretary_notifications_total");
    expect(counted).toMatch(/secretary_notifications_total\{channel="scratch",kind="firing",result="sent"\} 1/);
  });
});
