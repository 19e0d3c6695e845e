import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service, type ServiceOptions } from "../../src/service.ts";
import { testStore } from "./test-store.ts";

/** Collects pino's JSON lines for assertions. */
export class LogSink extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

/** Where startTestService keeps the database in its folder (store.path; on SQLite, testStore). */
export const storePath = (dir: string): string => join(dir, "state.json");

/**
 * Starts the service in process from a config object (validated like a file), state in a temp folder
 * (or, in the PostgreSQL project, in a database of that folder's own: test-store.ts).
 */
export async function startTestService(
  config: Record<string, unknown>,
  extra: Omit<ServiceOptions, "config" | "logger"> = {},
  /** Reuse a previous run's folder (and so its state file): a restart. */
  dir = mkdtempSync(join(tmpdir(), "secretary-watch-test-")),
  /** store settings; `path` moves the database out of the default `storePath(dir)`. */
  store: { secretKey?: string; path?: string } = {},
): Promise<{ service: Service; logs: LogSink; dir: string }> {
  const withStore = await testConfig(config, dir, store);
  const parsed = parseConfig(JSON.stringify(withStore), {}, "test config");
  const logs = new LogSink();
  const service = await startService({ config: parsed, logger: createLogger({ level: "debug", destination: logs }), port: 0, storeFlushMs: 50, ...extra });
  return { service, logs, dir };
}

/** The config startTestService runs on, as a file would hold it (a reload test writes it to one). */
export async function testConfig(config: Record<string, unknown>, dir: string, store: { secretKey?: string; path?: string } = {}): Promise<Record<string, unknown>> {
  return { ...withSandboxEndpoints(config), store: { ...(await testStore(dir)), ...store } };
}

/**
 * The config with webhook-endpoint connecting to the Bot API root for the sandbox worlds' webhook hosts,
 * as config/demo.yaml does: the sandbox serves their TLS endpoints on its own port, and these names
 * resolve nowhere. A config that sets webhook-endpoint itself keeps its own.
 */
function withSandboxEndpoints(config: Record<string, unknown>): Record<string, unknown> {
  const apiRoot = (config.telegram as { apiRoot?: unknown } | undefined)?.apiRoot;
  const checks = (config.checks ?? {}) as Record<string, unknown>;
  if (typeof apiRoot !== "string" || checks["webhook-endpoint"] !== undefined) return config;
  const connectTo = Object.fromEntries(SANDBOX_WEBHOOK_HOSTS.map((host) => [`${host}:443`, apiRoot]));
  return { ...config, checks: { ...checks, "webhook-endpoint": { connectTo } } };
}
const SANDBOX_WEBHOOK_HOSTS = ["bots.example.com", "hooks.example.org"];

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
