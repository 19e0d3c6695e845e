import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service } from "../../src/service.ts";
import { post, startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";
import { storedText } from "../support/stored-state.ts";

const INTERVAL_MS = 2000;
/** Secret halves of every token the demo fleet uses: none may appear anywhere. */
const SECRETS = ["demo-anna-Xk2v9", "demo-revoked-Qm4t1", "demo-flaky-Hj0j9", "demo-alerts-Kd7q2", "e2e-hung-Qw3e4", "not-a-token"];

class LogSink extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function get(service: Service, path: string) {
  const res = await fetch(`${service.url}${path}`);
  return { status: res.status, body: await res.text() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type StatusBody = { status: string; bots: Array<{ name: string; health: string; checks: Array<{ check: string; status: string; message?: string; remediation?: string }> }> };

describe("the service on the demo fleet", () => {
  let fleet: DemoFleet;
  let service: Service;
  const logs = new LogSink();
  const seen: string[] = [];

  const start = async () => {
    const config = loadConfigFile(fleet.configPath, { ...process.env, ...fleet.env });
    return startService({ config, logger: createLogger({ level: "debug", destination: logs }), port: 0, storeFlushMs: 50 });
  };
  const status = async () => {
    const r = await get(service, "/status");
    seen.push(r.body);
    return JSON.parse(r.body) as StatusBody;
  };
  const bot = (s: StatusBody, name: string) => s.bots.find((b) => b.name === name)!;

  beforeAll(async () => {
    fleet = await startDemoFleet({ interval: `${INTERVAL_MS / 1000}s`, timeout: "1s" });
    service = await start();
    // Never-checked bots get their first sweep within min(interval, 10 s).
    await until("every bot's first sweep", async () => ((await status()).bots.every((b) => b.checks.length > 0) ? true : undefined), 15_000);
  }, 30_000);
  afterAll(async () => {
    await service?.stop();
    await fleet?.sandbox.close();
  });

  it("when some bot is down, then /status answers 503 with every bot's verdicts, worst first", async () => {
    const r = await get(service, "/status");
    seen.push(r.body);
    expect(r.status).toBe(503);
    const body = JSON.parse(r.body) as StatusBody;
    expect(body.status).toBe("down");
    expect(body.bots[0]!.health).toBe("down");
    expect(bot(body, "anna").health).toBe("healthy");
    const token = bot(body, "revoked").checks.find((c) => c.check === "token")!;
    expect(token.status).toBe("fail");
    expect(token.message).toContain("401");
    expect(token.remediation).toContain("BotFather");
  });

  it.each([
    ["anna", 200],
    ["no-stars", 200],
    ["revoked", 503],
    ["rate-limited", 503],
    ["nobody", 404],
  ])("when /status/bots/%s is asked, then it answers %i", async (name, code) => {
    const r = await get(service, `/status/bots/${name}`);
    seen.push(r.body);
    expect(r.status).toBe(code);
  });

  it("when /metrics is scraped, then it shows each bot's verdicts and the facts behind them", async () => {
    const r = await get(service, "/metrics");
    seen.push(r.body);
    expect(r.status).toBe(200);
    const lines = r.body.split("\n");
    for (const line of [
      'secretary_bot_health{bot="anna",health="healthy"} 1',
      'secretary_bot_health{bot="revoked",health="down"} 1',
      'secretary_check_state{bot="revoked",check="token",state="fail"} 1',
      'secretary_check_state{bot="revoked",check="identity",state="skipped"} 1',
      'secretary_business_right{bot="no-stars",right="can_transfer_stars"} 0',
      'secretary_business_right{bot="anna",right="can_reply"} 1',
      'secretary_business_connection_enabled{bot="disabled"} 0',
      'secretary_webhook_pending_updates{bot="backlog"} 2500',
      'secretary_bot_info{bot="anna",username="anna_secretary_bot"} 1',
      "secretary_bots 21",
    ])
      expect(lines, line).toContain(line);
    expect(r.body).toMatch(/^secretary_telegram_requests_total\{method="getMe",code="401"\} [1-9]/m);
    expect(r.body).toMatch(/^secretary_webhook_last_error_timestamp_seconds\{bot="webhook-error"\} \d{10}/m);
    // old-webhook-error's endpoint certificate expires in 5 days (the demo world), anna's in 90.
    const expiry = (bot: string) => Number(new RegExp(`^secretary_webhook_certificate_expiry_timestamp_seconds\\{bot="${bot}"\\} (\\d{10})$`, "m").exec(r.body)?.[1]);
    expect((expiry("old-webhook-error") - Date.now() / 1000) / 86_400).toBeCloseTo(5, 0);
    expect((expiry("anna") - Date.now() / 1000) / 86_400).toBeCloseTo(90, 0);
    expect(r.body).not.toMatch(/^secretary_webhook_certificate_expiry_timestamp_seconds\{bot="revoked"\}/m);
    expect(r.body).toMatch(/^secretary_check_duration_seconds_count\{check="token"\} [1-9]/m);
    expect(r.body).toMatch(/^secretary_build_info\{version="\d+\.\d+\.\d+"\} 1/m);
    expect(r.body).toMatch(/^process_cpu_seconds_total /m);
  });

  // no-inbound has no live test (round-trip is off for it in the demo), so only sweeps decide its health:
  // a round-trip landing while the token is revoked would, correctly, keep a bot down until the next one.
  it("when the sandbox world changes, then /status and /metrics change within one interval", async () => {
    expect(bot(await status(), "no-inbound").health).toBe("degraded");
    await post(fleet.sandbox, "/_sandbox/bots/no_inbound_secretary_bot", { revoked: true }, "PATCH");
    const changedAt = Date.now();
    const changed = await until(
      "no-inbound to go down",
      async () => {
        const b = bot(await status(), "no-inbound");
        return b.health === "down" ? b : undefined;
      },
      INTERVAL_MS + 2000,
    );
    expect(Date.now() - changedAt).toBeLessThanOrEqual(INTERVAL_MS + 1500);
    expect(changed.checks.find((c) => c.check === "token")!.status).toBe("fail");
    const metrics = await get(service, "/metrics");
    expect(metrics.body.split("\n")).toContain('secretary_bot_health{bot="no-inbound",health="down"} 1');

    await post(fleet.sandbox, "/_sandbox/bots/no_inbound_secretary_bot", { revoked: false }, "PATCH");
    await until("no-inbound to recover", async () => (bot(await status(), "no-inbound").health === "degraded" ? true : undefined), INTERVAL_MS + 2000);
  });

  it("when the service restarts, then /status is right before the first new sweep", async () => {
    await service.stop();
    // What the stopped service persisted (round-trips still running were allowed to finish first).
    const persisted = Object.fromEntries([...service.store.results.values()].map((s) => [s.name, s.health]));
    service = await start();
    const after = await status();
    expect(Object.fromEntries(after.bots.map((b) => [b.name, b.health]))).toEqual(persisted);
    expect(bot(after, "revoked").checks.map((c) => c.status)).toEqual(["fail", ...Array(8).fill("skipped")]);
  });

  it("when every output is searched, then no bot token appears in logs, responses, metrics, page or state", async () => {
    for (const path of ["/", "/status", "/metrics", "/status/bots/anna", "/status/bots/revoked", "/healthz", "/readyz", "/nowhere"])
      seen.push((await get(service, path)).body);
    await service.store.flush();
    const state = await storedText(fleet.dir);
    expect(logs.text).toContain("bot health changed");
    for (const secret of SECRETS) {
      expect(logs.text, `logs contain ${secret}`).not.toContain(secret);
      expect(seen.join("\n"), `responses contain ${secret}`).not.toContain(secret);
      expect(state, `the store contains ${secret}`).not.toContain(secret);
    }
  });
});
