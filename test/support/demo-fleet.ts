import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { DEMO_CONFIG, DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import { testStore } from "./test-store.ts";

/** A bot the demo lacks: Telegram accepts its connections and never answers. */
export const HUNG_BOT = {
  token: "7000042:e2e-hung-Qw3e4",
  id: 7000042,
  username: "hung_secretary_bot",
  firstName: "Hung",
  canConnectToBusiness: true,
  webhook: { url: "https://bots.example.com/hung" },
  connections: [],
};

export interface DemoFleet {
  sandbox: Sandbox;
  configPath: string;
  dir: string;
  env: Record<string, string>;
}

/**
 * The demo fleet on a fresh sandbox, plus a hung bot, with the demo config rewritten for tests:
 * short timeout and interval, state under a temporary folder (or its database: test-store.ts), port 0.
 */
export async function startDemoFleet(overrides: { interval?: string; timeout?: string } = {}): Promise<DemoFleet> {
  const sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
  await post(sandbox, "/_sandbox/bots", HUNG_BOT);
  await post(sandbox, "/_sandbox/faults", { bot: HUNG_BOT.username, hang: true });

  const dir = mkdtempSync(join(tmpdir(), "secretary-watch-e2e-"));
  const config = YAML.parse(readFileSync(DEMO_CONFIG, "utf8"));
  config.telegram.timeout = overrides.timeout ?? "1s";
  config.checks["round-trip"].timeout = "2s";
  config.schedule.interval = overrides.interval ?? "30s";
  config.server.port = 0;
  Object.assign(config.store, await testStore(dir));
  config.bots.push({ name: "hung", token: HUNG_BOT.token, username: HUNG_BOT.username, owner: { id: 100000042 }, probeChats: [555000111] });
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, YAML.stringify(config));
  return { sandbox, configPath, dir, env: { SECRETARY_WATCH_SANDBOX_URL: sandbox.url } };
}

export async function post(sandbox: Sandbox, path: string, body: unknown, method = "POST"): Promise<unknown> {
  const res = await fetch(`${sandbox.url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function calls(sandbox: Sandbox): Promise<Array<{ bot: string | null; method: string; count: number }>> {
  return (await fetch(`${sandbox.url}/_sandbox/calls`)).json() as never;
}
