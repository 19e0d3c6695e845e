import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { cli } from "../support/cli.ts";
import { closeHttpReceivers, httpReceiver, type HttpReceiver } from "../support/http-receiver.ts";
import { startTestService, until, type LogSink } from "../support/service-harness.ts";

/** Every secret the service is given. None may appear in anything it emits. */
const SECRETS = {
  annaToken: "demo-anna-Xk2v9",
  revokedToken: "demo-revoked-Qm4t1",
  malformedToken: "malformed-token-SECRET-4471",
  apiBotToken: "demo-no-stars-Gh2b1",
  alertBotToken: "demo-alerts-Kd7q2",
  adminToken: "ADMIN-token-SECRET-8c1f2a",
  smtpPassword: "SMTP-pass-SECRET-5d9e",
  hookSecret: "HOOK-secret-SECRET-77aa",
  storeKey: "STORE-key-SECRET-0b3c",
};

describe("secrets never leave the service", () => {
  let sandbox: Sandbox;
  let service: Service;
  let logs: LogSink;
  let dir: string;
  let hook: HttpReceiver;
  const seen: string[] = [];

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${service.url}${path}`, { headers });
    const text = await r.text();
    seen.push(`${path} ${r.status} ${JSON.stringify([...r.headers])} ${text}`);
    return r;
  };
  const admin = async (method: string, path: string, body?: unknown, token = SECRETS.adminToken) => {
    const r = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    seen.push(`${method} ${path} ${r.status} ${text}`);
    return { status: r.status, text };
  };

  const config = async () => ({
    telegram: { apiRoot: sandbox.url, timeout: "1s" },
    server: { adminToken: SECRETS.adminToken, publicUrl: "https://watch.example.com" },
    schedule: { interval: "1s" },
    alerts: {
      failAfter: 1,
      channels: {
        mail: { type: "email", url: `smtp://ops:${SECRETS.smtpPassword}@127.0.0.1:${await freePort()}`, from: "w@example.com", to: ["ops@example.com"] },
        hook: { type: "webhook", url: hook.url, secret: SECRETS.hookSecret },
        tg: { type: "telegram", botToken: `7000099:${SECRETS.alertBotToken}`, chatId: -100123 },
      },
    },
    bots: [
      { name: "anna", token: `7000001:${SECRETS.annaToken}`, username: "anna_secretary_bot", owner: { id: 123456789 }, businessConnectionId: "bc-anna", probeChats: [555000111] },
      { name: "revoked", token: `7000002:${SECRETS.revokedToken}`, username: "revoked_secretary_bot", owner: { id: 100000002 } },
      { name: "malformed", token: SECRETS.malformedToken, username: "malformed_secretary_bot", owner: { id: 100000003 } },
    ],
  });

  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    hook = await httpReceiver({ status: 200 });
    const started = await startTestService(await config(), { outbox: { baseBackoffMs: 100, maxBackoffMs: 200 } }, undefined, { secretKey: SECRETS.storeKey });
    ({ service, logs, dir } = started);
  });
  afterAll(async () => {
    await service.stop();
    await sandbox.close();
    await closeHttpReceivers();
  });

  it("when every surface is exercised, then no token, admin token, SMTP password, webhook secret or store key appears anywhere", async () => {
    // Alerts fire for revoked and malformed; the mail channel fails (nothing listens), so its errors are logged.
    await until("webhook deliveries", () => (hook.requests.length >= 2 ? true : undefined), 8000);
    await until("failed mail attempts", () => (logs.text.includes("notification not delivered") ? true : undefined), 8000);

    // Admin API: success, refusals, validation errors that echo input, a verified registration.
    await admin("GET", "/bots");
    await admin("GET", "/bots", undefined, `wrong-${SECRETS.adminToken}`);
    await admin("POST", "/bots?verify=true", { name: "kira", token: `7000011:${SECRETS.apiBotToken}`, username: "no_stars_secretary_bot", owner: { id: 100000011 } });
    await admin("POST", "/bots", { name: "kira2", token: `7000011:${SECRETS.apiBotToken}`, username: "no_stars_secretary_bot", owner: { id: "x" } });
    // A token pasted into the wrong field, as operators do.
    await admin("POST", "/bots", { name: "kira3", token: 12345, username: `7000011:${SECRETS.apiBotToken}`, owner: { id: 1 } });
    await admin("PATCH", "/bots/kira", { token: `7000011:${SECRETS.apiBotToken}`, labels: { t: "1" } });
    await admin("GET", "/bots/kira");
    await admin("POST", "/bots/revoked/run");

    for (const path of ["/", "/status", "/status/bots/anna", "/status/bots/revoked", "/status/bots/malformed", "/metrics", "/healthz", "/readyz", "/nope"]) await get(path);

    // The command line: config check and a one-shot check on the same config.
    const file = join(dir, "config.yaml");
    const cfg = await config();
    writeFileSync(file, YAML.stringify({ ...cfg, store: { path: join(dir, "cli-state.json"), secretKey: SECRETS.storeKey } }));
    for (const args of [["config", "check", "--config", file], ["check", "--config", file, "--json"]]) {
      const r = await cli(args, { LOG_LEVEL: "debug" });
      seen.push(r.stdout, r.stderr);
    }

    await service.store.flush();
    const surfaces: Record<string, string> = {
      "logs (debug)": logs.text,
      "HTTP responses and CLI output": seen.join("\n"),
      "webhook alert bodies and headers": hook.requests.map((r) => `${JSON.stringify(r.headers)} ${r.body.toString()}`).join("\n"),
      "Telegram alert messages": JSON.stringify(await (await fetch(`${sandbox.url}/_sandbox/messages`)).json()),
      "state file": readFileSync(join(dir, "state.json"), "utf8"),
    };
    // Every surface was really exercised.
    expect(surfaces["logs (debug)"]).toContain("notification not delivered");
    expect(surfaces["HTTP responses and CLI output"]).toContain("7000011:****");
    expect(surfaces["webhook alert bodies and headers"]).toContain("401 Unauthorized");
    expect(surfaces["Telegram alert messages"]).toContain("FIRING");
    expect(surfaces["state file"]).toContain('"kira"');

    let checked = 0;
    for (const [surface, text] of Object.entries(surfaces))
      for (const [name, secret] of Object.entries(SECRETS)) {
        checked++;
        expect(text.includes(secret), `${name} leaked into ${surface}`).toBe(false);
      }
    console.log(`secrets: ${Object.keys(SECRETS).length} secrets × ${Object.keys(surfaces).length} surfaces = ${checked} searches, 0 leaks`);
  });
});
