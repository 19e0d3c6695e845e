/**
 * The per-bot families render their own exposition text (for speed at 10,000 bots). Whatever the
 * fleet, that text must be exactly what prom-client writes for the same samples, and prom-client's
 * JSON view (`get()`) must carry the same samples.
 */
import fc from "fast-check";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/server.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import type { Monitor } from "../../src/monitor.ts";
import { CHECK_STATUSES, HEALTHS, type BotStatus } from "../../src/model.ts";
import { CHECKS } from "../../checks/index.ts";
import { RIGHTS } from "../../src/telegram/rights.ts";

const NAME = /^[a-z0-9][a-z0-9_-]{0,20}$/;
const status = fc.record({
  name: fc.stringMatching(NAME),
  username: fc.stringMatching(/^[a-z][a-z0-9_]{3,20}bot$/),
  health: fc.constantFrom(...HEALTHS),
  checks: fc.subarray(CHECKS.map((c) => c.id)).chain((ids) =>
    fc.tuple(...ids.map((id) => fc.record({ check: fc.constant(id), status: fc.constantFrom(...CHECK_STATUSES), atMs: fc.integer({ min: 1.6e12, max: 1.9e12 }) }))),
  ),
  observed: fc.record(
    {
      connectionEnabled: fc.boolean(),
      rights: fc.dictionary(fc.constantFrom(...Object.keys(RIGHTS)), fc.boolean()),
      webhookPendingUpdates: fc.nat(100_000),
      webhookLastErrorAt: fc.integer({ min: 1.6e9, max: 1.9e9 }),
      webhookCertificateExpiresAt: fc.integer({ min: 1.6e9, max: 2.6e9 }),
    },
    { requiredKeys: [] },
  ),
});
const fleet = fc.uniqueArray(status, { selector: (s) => s.name, maxLength: 30 }).map((list) =>
  list.map(
    (s): BotStatus => ({
      name: s.name,
      username: s.username,
      health: s.health,
      since: new Date(1.7e12).toISOString(),
      checkedAt: new Date(1.7e12).toISOString(),
      checks: s.checks.map((c) => ({ check: c.check, status: c.status, durationMs: 1, at: new Date(c.atMs).toISOString(), since: new Date(c.atMs).toISOString() })),
      observed: s.observed,
    }),
  ),
);

/** The same families built the ordinary way: prom-client gauges set sample by sample. */
function reference(statuses: BotStatus[]): Registry {
  const registry = new Registry();
  const gauge = (name: string, labelNames: string[]) => {
    const help = metricsHelp.get(name)!;
    return new Gauge({ name, help, labelNames, registers: [registry] });
  };
  const info = gauge("secretary_bot_info", ["bot", "username"]);
  const health = gauge("secretary_bot_health", ["bot", "health"]);
  const state = gauge("secretary_check_state", ["bot", "check", "state"]);
  const lastRun = gauge("secretary_check_last_run_timestamp_seconds", ["bot", "check"]);
  const enabled = gauge("secretary_business_connection_enabled", ["bot"]);
  const right = gauge("secretary_business_right", ["bot", "right"]);
  const pending = gauge("secretary_webhook_pending_updates", ["bot"]);
  const lastError = gauge("secretary_webhook_last_error_timestamp_seconds", ["bot"]);
  const certificateExpiry = gauge("secretary_webhook_certificate_expiry_timestamp_seconds", ["bot"]);
  for (const s of statuses) {
    const bot = s.name;
    info.set({ bot, username: s.username }, 1);
    for (const h of HEALTHS) health.set({ bot, health: h }, s.health === h ? 1 : 0);
    for (const c of s.checks) for (const st of CHECK_STATUSES) state.set({ bot, check: c.check, state: st }, c.status === st ? 1 : 0);
    for (const c of s.checks) lastRun.set({ bot, check: c.check }, Date.parse(c.at) / 1000);
    if (s.observed.connectionEnabled !== undefined) enabled.set({ bot }, s.observed.connectionEnabled ? 1 : 0);
    for (const [r, granted] of Object.entries(s.observed.rights ?? {})) right.set({ bot, right: r }, granted ? 1 : 0);
    if (s.observed.webhookPendingUpdates !== undefined) pending.set({ bot }, s.observed.webhookPendingUpdates);
    if (s.observed.webhookLastErrorAt !== undefined) lastError.set({ bot }, s.observed.webhookLastErrorAt);
    if (s.observed.webhookCertificateExpiresAt !== undefined) certificateExpiry.set({ bot }, s.observed.webhookCertificateExpiresAt);
  }
  return registry;
}

/** `n` bots `bot-0` …, every health and state in turn, with the given checks and some observations. */
function syntheticFleet(n: number, checks: string[]): BotStatus[] {
  const at = (ms: number) => new Date(1.7e12 + ms).toISOString();
  return Array.from({ length: n }, (_, i) => ({
    name: `bot-${i}`,
    username: `b${i}_bot`,
    health: HEALTHS[i % HEALTHS.length]!,
    since: at(0),
    checkedAt: at(0),
    checks: checks.map((check, k) => ({ check, status: CHECK_STATUSES[(i + k) % CHECK_STATUSES.length]!, durationMs: 1, at: at(i), since: at(0) })),
    observed: i % 2 === 0 ? {} : { connectionEnabled: i % 4 === 1, rights: { can_reply: true, can_read_messages: i % 3 === 0 } },
  }));
}

const PER_BOT = [
  "secretary_bot_info",
  "secretary_bot_health",
  "secretary_check_state",
  "secretary_check_last_run_timestamp_seconds",
  "secretary_business_connection_enabled",
  "secretary_business_right",
  "secretary_webhook_pending_updates",
  "secretary_webhook_last_error_timestamp_seconds",
  "secretary_webhook_certificate_expiry_timestamp_seconds",
];
const metricsHelp = new Map<string, string>();

function metricsFor(statuses: BotStatus[]): Metrics {
  const metrics = new Metrics("test").attach({ bots: () => statuses, statuses: () => statuses, alertsFiring: () => ({ degraded: 0, down: 0 }), outboxSize: () => 0 });
  for (const name of PER_BOT) metricsHelp.set(name, (metrics.registry.getSingleMetric(name) as unknown as { help: string }).help);
  return metrics;
}

/** One family's block (HELP, TYPE and samples) out of a whole exposition. */
function family(text: string, name: string): string {
  const lines = text.split("\n");
  const start = lines.indexOf(`# HELP ${name} ${metricsHelp.get(name)}`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  const block = [lines[start]!];
  for (const line of lines.slice(start + 1)) {
    if (line === "" || (line.startsWith("# HELP") && !line.startsWith(`# HELP ${name} `))) break;
    block.push(line);
  }
  return block.join("\n");
}

describe("per-bot metric families", () => {
  it("when any fleet is scraped, then each per-bot family is byte for byte what prom-client writes for the same samples", async () => {
    await fc.assert(
      fc.asyncProperty(fleet, async (statuses) => {
        const ours = await metricsFor(statuses).registry.metrics();
        const theirs = await reference(statuses).metrics();
        for (const name of PER_BOT) expect(family(ours, name), name).toBe(family(theirs, name));
      }),
      { numRuns: 150 },
    );
  });

  it("when prom-client's JSON view is read, then it has the samples of the text", async () => {
    await fc.assert(
      fc.asyncProperty(fleet, async (statuses) => {
        const metrics = metricsFor(statuses);
        const expected = reference(statuses);
        for (const name of PER_BOT) {
          const ours = await metrics.registry.getSingleMetric(name)!.get();
          const theirs = await expected.getSingleMetric(name)!.get();
          expect(ours.values.map((v) => ({ labels: v.labels, value: v.value })), name).toEqual(theirs.values.map((v) => ({ labels: v.labels, value: v.value })));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("when a fleet spans several slices, then every bot is in the text once per family, in order", async () => {
    const statuses = syntheticFleet(1234, ["token"]);
    const text = await metricsFor(statuses).registry.metrics();
    expect(family(text, "secretary_check_state")).toBe(family(await reference(statuses).metrics(), "secretary_check_state"));
    const healthy = text.split("\n").filter((l) => l.startsWith("secretary_bot_health{") && l.endsWith(" 1"));
    expect(healthy).toHaveLength(1234);
    expect(healthy[1233]).toBe(`secretary_bot_health{bot="bot-1233",health="${HEALTHS[1233 % HEALTHS.length]}"} 1`);
  });

  it("when a big fleet is scraped over HTTP by a slow reader, then the body is the whole exposition, every reused chunk intact", async () => {
    const statuses = syntheticFleet(3000, CHECKS.map((c) => c.id));
    const metrics = metricsFor(statuses);
    const app = createApp({ host: "127.0.0.1", port: 0, monitor: {} as Monitor, metrics, logger: pino({ level: "silent" }), live: () => true, ready: () => true });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/metrics`, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (part: Buffer) => {
            parts.push(part);
            // Slower than the render: the server must wait for the socket before reusing a chunk.
            res.pause();
            setTimeout(() => res.resume(), 2);
          });
          res.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
          res.on("error", reject);
        });
      });
      expect(body.length).toBeGreaterThan(1_000_000);
      const expected = await reference(statuses).metrics();
      for (const name of PER_BOT) expect(family(body, name) === family(expected, name), name).toBe(true);
      // Everything of ours (process and Node.js metrics move between two scrapes).
      const ours = (text: string) => text.split("\n").filter((l) => l.includes("secretary_"));
      expect(ours(body)).toEqual(ours(await metrics.registry.metrics()));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
