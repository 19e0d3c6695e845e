/**
 * Config reload through POST /-/reload on a running service over the sandbox (README, "Reload"): what
 * a reload adds is swept within one interval and nothing else is touched; a bad file or a restart-only
 * key changes nothing; channels, policy and the interval take effect.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcrypt";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import type { Service } from "../../src/service.ts";
import { control, fleetBots, healthyWorld, webhookChannel } from "../support/healthy-fleet.ts";
import { closeHttpReceivers, httpReceiver } from "../support/http-receiver.ts";
import { sleep, startTestService, testConfig, until } from "../support/service-harness.ts";

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await closeHttpReceivers();
});

async function sandboxOf(n: number): Promise<Sandbox> {
  const sandbox = await startSandbox({ world: healthyWorld(n) });
  cleanup.push(() => sandbox.close());
  return sandbox;
}

/** A service started from `file` (written from `config`), which a reload reads again. */
async function serviceOn(config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "secretary-watch-reload-"));
  const file = join(dir, "secretary-watch.json");
  const write = async (next: Record<string, unknown>) => writeFileSync(file, JSON.stringify(await testConfig(next, dir)));
  await write(config);
  const { service, logs } = await startTestService(config, { reloadFrom: { file } }, dir);
  cleanup.push(() => service.stop());
  return { service, logs, write, file };
}

async function reload(service: Service): Promise<{ status: number; body: { applied?: boolean; changes?: { bots: Record<string, string[]>; sections: string[] }; errors?: string[] } }> {
  const res = await fetch(`${service.url}/-/reload`, { method: "POST" });
  return { status: res.status, body: (await res.json()) as never };
}

const gauge = async (service: Service, name: string) => Number((await service.metrics.registry.getSingleMetricAsString(name)).match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1]);
const watched = (service: Service) => new Set([...service.monitor.bots()].map((b) => b.name));

/**
 * Every sweep's start per bot: a wrapper around the scheduler's sweep function, so what is measured is
 * the schedule (when each sweep was started), not how long a loaded machine takes to finish it.
 */
function recordSweeps(service: Service): { times: Map<string, number[]>; stop: () => void } {
  const times = new Map<string, number[]>();
  const scheduler = service.scheduler as unknown as { sweep: (name: string, signal: AbortSignal) => Promise<unknown> };
  const sweep = scheduler.sweep;
  let recording = true;
  scheduler.sweep = (name, signal) => {
    if (recording) times.set(name, [...(times.get(name) ?? []), Date.now()]);
    return sweep(name, signal);
  };
  return { times, stop: () => (recording = false) };
}

const sandboxConfig = (sandbox: Sandbox, n: number, extra: Record<string, unknown> = {}) => ({
  telegram: { apiRoot: sandbox.url, timeout: "2s" },
  schedule: { interval: "5s", concurrency: 32 },
  bots: fleetBots(n),
  ...extra,
});

describe("config reload", () => {
  it("when a reload adds 100 bots to 1,000, then all 100 are swept within one interval and every other bot keeps its slot with no extra sweep", async () => {
    // 10 s: 100 sweeps a second, which a CI machine's two cores carry beside other test files.
    const INTERVAL = 10_000;
    const big = (n: number) => sandboxConfig(sandbox, n, { schedule: { interval: "10s", concurrency: 32 } });
    const sandbox = await sandboxOf(1_100);
    const { service, write } = await serviceOn(big(1_000));
    const sweeps = recordSweeps(service);
    // Every bot past its early first sweep and on its slot.
    await until("two sweeps of every bot", () => sweeps.times.size === 1_000 && [...sweeps.times.values()].every((t) => t.length >= 2), 4 * INTERVAL);
    await write(big(1_100));
    const reloadedAt = Date.now();
    const answer = await reload(service);
    expect(answer.status).toBe(200);
    // Within one interval of the reload taking effect (validating 1,100 bots takes a moment on a busy machine).
    const appliedAt = Date.now();
    expect(answer.body.changes?.bots.added).toHaveLength(100);
    expect(answer.body.changes?.bots.changed).toEqual([]);
    await sleep(INTERVAL + 1_000);
    sweeps.stop();

    const added = Array.from({ length: 100 }, (_, i) => `bot-${1_000 + i}`);
    const late = added.filter((name) => !(sweeps.times.get(name) ?? []).some((at) => at - appliedAt <= INTERVAL));
    expect(late.map((name) => `${name}: ${(sweeps.times.get(name) ?? []).map((at) => at - appliedAt).join(",")} ms after`)).toEqual([]);
    // Around the reload each old bot's sweeps stay one interval apart: same slot, none extra, none missed.
    const off: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      // A bot's first sweep falls in the start's first-sweep window, off its slot: its slot is what follows.
      const times = (sweeps.times.get(`bot-${i}`) ?? []).slice(1).filter((at) => at >= reloadedAt - INTERVAL);
      const gaps = times.slice(1).map((at, k) => at - times[k]!);
      if (gaps.length < 1 || gaps.some((gap) => gap < 0.75 * INTERVAL || gap > 1.25 * INTERVAL)) off.push(`bot-${i}: ${gaps.join(",")}`);
    }
    expect(off).toEqual([]);
  }, 90_000);

  it("when the file has three errors, then nothing changes and the 400 answer and the log carry all three with their key paths", async () => {
    const sandbox = await sandboxOf(3);
    const { service, logs, file } = await serviceOn(sandboxConfig(sandbox, 2));
    writeFileSync(file, ["schedule:", "  interval: soon", "alerts:", "  failAfter: 0", "bots:", "  - name: Not-A-Name", "    token: 1:x", "    username: u_bot", "    owner: { id: 1 }", ""].join("\n"));
    const answer = await reload(service);
    expect(answer.status).toBe(400);
    const errors = answer.body.errors ?? [];
    expect(errors).toHaveLength(3);
    for (const key of ["schedule.interval", "alerts.failAfter", "bots[0].name"]) {
      expect(errors.filter((e) => e.includes(key))).toHaveLength(1);
      expect(logs.text).toContain(key);
    }
    expect(watched(service)).toEqual(new Set(["bot-0", "bot-1"]));
    expect(await gauge(service, "secretary_config_last_reload_successful")).toBe(0);
  });

  it("when the file changes a restart-only key, then the reload is refused by that key's name and nothing is applied", async () => {
    const sandbox = await sandboxOf(3);
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 2));
    const before = await gauge(service, "secretary_config_last_reload_success_timestamp_seconds");
    await write({ ...sandboxConfig(sandbox, 3), server: { port: 9999 } });
    const answer = await reload(service);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual(["server.port: cannot change without a restart (was 9464, now 9999)"]);
    expect(watched(service)).toEqual(new Set(["bot-0", "bot-1"]));

    await write(sandboxConfig(sandbox, 3));
    expect((await reload(service)).status).toBe(200);
    expect(watched(service)).toEqual(new Set(["bot-0", "bot-1", "bot-2"]));
    expect(await gauge(service, "secretary_config_last_reload_successful")).toBe(1);
    expect(await gauge(service, "secretary_config_last_reload_success_timestamp_seconds")).toBeGreaterThan(before);
  });

  it("when a reload adds a channel and lowers failAfter, then a failing bot's alert fires to the new channel", async () => {
    const sandbox = await sandboxOf(2);
    await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const hook = await httpReceiver();
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 2, { schedule: { interval: "1s" }, alerts: { failAfter: 1000 } }));
    await sleep(3_000);
    expect(hook.requests).toHaveLength(0);
    await write(sandboxConfig(sandbox, 2, { schedule: { interval: "1s" }, alerts: { failAfter: 1, channels: webhookChannel(hook.url) } }));
    const answer = await reload(service);
    expect(answer.body.changes?.sections).toEqual(expect.arrayContaining(["alerts.channels", "alerts.policy"]));
    const request = await until("the firing at the new channel", () => hook.requests[0], 10_000);
    expect(request.body.toString()).toContain("bot-0");
  });

  it("when a reload adds a maintenance window over a failing bot, then its alert fires muted: nothing reaches the channel", async () => {
    const sandbox = await sandboxOf(2);
    await control(sandbox.url, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const hook = await httpReceiver();
    const alerts = (extra: Record<string, unknown>) => ({ schedule: { interval: "1s" }, alerts: { channels: webhookChannel(hook.url), ...extra } });
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 2, alerts({ failAfter: 1000 })));
    const window = { bots: ["bot-0"], start: new Date(Date.now() - 60_000).toISOString(), duration: "1h", reason: "reload test" };
    await write(sandboxConfig(sandbox, 2, alerts({ failAfter: 1, maintenance: [window] })));
    expect((await reload(service)).body.changes?.sections).toEqual(expect.arrayContaining(["alerts.maintenance", "alerts.policy"]));
    await until("bot-0's alert firing", () => service.alerts.alertState("bot-0")?.firing, 10_000);
    await sleep(1_500);
    expect(hook.requests).toHaveLength(0);
  });

  it("when server.adminToken is set, then a reload needs it, and an applied one writes an audit line with its summary", async () => {
    const sandbox = await sandboxOf(3);
    const TOKEN = "reload-admin-token-0123456789";
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 1, { server: { adminToken: TOKEN } }));
    await write(sandboxConfig(sandbox, 3, { server: { adminToken: TOKEN } }));
    expect((await reload(service)).status).toBe(401);
    expect(watched(service)).toEqual(new Set(["bot-0"]));
    const res = await fetch(`${service.url}/-/reload`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const audit = (await (await fetch(`${service.url}/api/v1/audit?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { audit: Array<{ route: string; summary: string }> };
    expect(audit.audit[0]).toMatchObject({ route: "/-/reload", summary: "reload: 2 bots added" });
  });

  it("when a reload adds a named token and a page user, then the new token works at once and is named in the audit, and /status asks for a login", async () => {
    const sandbox = await sandboxOf(1);
    const PLATFORM = "reload-platform-token-0123456789";
    const CI = "reload-ci-token-0123456789abcdef";
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 1, { server: { adminTokens: { platform: PLATFORM } } }));
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    expect((await fetch(`${service.url}/api/v1/bots`, { headers: bearer(CI) })).status).toBe(401);
    expect((await fetch(`${service.url}/status`)).status).toBe(200);
    const users = { ops: bcrypt.hashSync("ops-password", 4) };
    await write(sandboxConfig(sandbox, 1, { server: { adminTokens: { platform: PLATFORM, ci: CI }, auth: { users } } }));
    const res = await fetch(`${service.url}/-/reload`, { method: "POST", headers: bearer(PLATFORM) });
    expect(await res.json()).toMatchObject({ applied: true, changes: { sections: ["server.access"] } });
    expect((await fetch(`${service.url}/api/v1/bots`, { headers: bearer(CI) })).status).toBe(200);
    expect((await fetch(`${service.url}/status`)).status).toBe(401);
    const login = { authorization: `Basic ${Buffer.from("ops:ops-password").toString("base64")}` };
    expect((await fetch(`${service.url}/status`, { headers: login })).status).toBe(200);
    // Taking the platform token away: the next reload, made with it, is its last.
    await write(sandboxConfig(sandbox, 1, { server: { adminTokens: { ci: CI }, auth: { users } } }));
    expect((await fetch(`${service.url}/-/reload`, { method: "POST", headers: bearer(PLATFORM) })).status).toBe(200);
    expect((await fetch(`${service.url}/api/v1/bots`, { headers: bearer(PLATFORM) })).status).toBe(401);
    const audit = (await (await fetch(`${service.url}/api/v1/audit?limit=2`, { headers: bearer(CI) })).json()) as { audit: Array<{ tokenName: string; summary: string }> };
    expect(audit.audit.map((a) => [a.tokenName, a.summary])).toEqual([
      ["platform", "reload: server.access changed"],
      ["platform", "reload: server.access changed"],
    ]);
  });

  it("when a reload sets, changes and clears server.metricsToken, then /metrics asks for the token in force at each step", async () => {
    const sandbox = await sandboxOf(1);
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 1));
    const scrape = async (token?: string) => (await fetch(`${service.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {})).status;
    expect(await scrape()).toBe(200);
    for (const metricsToken of ["metrics-token-first-0123456789", "metrics-token-second-0123456789"]) {
      await write(sandboxConfig(sandbox, 1, { server: { metricsToken } }));
      expect((await reload(service)).body).toMatchObject({ applied: true, changes: { sections: ["server.access"] } });
      expect([await scrape(), await scrape(`${metricsToken}x`), await scrape(metricsToken)]).toEqual([401, 401, 200]);
    }
    await write(sandboxConfig(sandbox, 1));
    expect((await reload(service)).status).toBe(200);
    expect(await scrape()).toBe(200);
  });

  it("when no admin token is set, then a reload is open and its audit line says no token was used", async () => {
    const sandbox = await sandboxOf(2);
    const TOKEN = "reload-first-token-0123456789";
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 1));
    await write(sandboxConfig(sandbox, 2, { server: { adminToken: TOKEN } }));
    expect((await reload(service)).status).toBe(200);
    // The first token came with that reload: the API is there now, and needs it.
    expect((await reload(service)).status).toBe(401);
    const audit = (await (await fetch(`${service.url}/api/v1/audit?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { audit: Array<{ tokenName: string; summary: string }> };
    expect(audit.audit[0]).toMatchObject({ tokenName: "no token", summary: "reload: 1 bot added, server.access changed" });
  });

  it("when the service runs without a config file (the demo), then a reload is refused with a clear 400", async () => {
    const sandbox = await sandboxOf(1);
    const { service } = await startTestService(sandboxConfig(sandbox, 1));
    cleanup.push(() => service.stop());
    expect(await reload(service)).toEqual({ status: 400, body: { errors: ["the built-in demo has no config file to reload"] } });
  });

  it("when a reload changes the interval, then the bots are swept on the new one", async () => {
    const sandbox = await sandboxOf(1);
    const { service, write } = await serviceOn(sandboxConfig(sandbox, 1, { schedule: { interval: "20s" } }));
    const sweeps = recordSweeps(service);
    await until("the first sweep", () => sweeps.times.get("bot-0")?.length === 1, 15_000);
    await write(sandboxConfig(sandbox, 1, { schedule: { interval: "1s" } }));
    expect((await reload(service)).status).toBe(200);
    await until("three more sweeps within seconds", () => (sweeps.times.get("bot-0")?.length ?? 0) >= 4, 6_000);
  });
});
