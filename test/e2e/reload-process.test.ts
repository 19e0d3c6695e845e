/**
 * Reload through a real process (`bin/secretary-watch.js start`): SIGHUP, and --watch-config with a
 * Kubernetes ConfigMap-style update (the file a link into `..data/`, `..data` a link swapped by rename).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { until } from "../support/service-harness.ts";

const BIN = fileURLToPath(new URL("../../bin/secretary-watch.js", import.meta.url));
const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A ConfigMap mount: `..<version>/secretary-watch.yaml`, `..data` → that folder, the file → `..data/`. */
function configMap(dir: string, version: string, config: Record<string, unknown>, swap = false): string {
  mkdirSync(join(dir, `..${version}`));
  writeFileSync(join(dir, `..${version}`, "secretary-watch.yaml"), JSON.stringify(config));
  if (swap) {
    symlinkSync(`..${version}`, join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  } else {
    symlinkSync(`..${version}`, join(dir, "..data"));
    symlinkSync("..data/secretary-watch.yaml", join(dir, "secretary-watch.yaml"));
  }
  return join(dir, "secretary-watch.yaml");
}

async function setUp(): Promise<{ sandbox: Sandbox; dir: string; config: (bots: number) => Record<string, unknown>; port: number }> {
  const sandbox = await startSandbox({ world: healthyWorld(3) });
  cleanup.push(() => sandbox.close());
  const dir = mkdtempSync(join(tmpdir(), "secretary-watch-configmap-"));
  const port = await freePort();
  const config = (bots: number) => ({
    telegram: { apiRoot: sandbox.url, timeout: "2s" },
    server: { host: "127.0.0.1", port },
    store: { path: join(tmpdir(), `${dir.split("/").pop()}.db`) },
    schedule: { interval: "2s" },
    bots: fleetBots(bots),
  });
  return { sandbox, dir, config, port };
}

function startProcess(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, "start", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SECRETARY_WATCH_CONFIG: "" } });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  );
  child.once("exit", (code, signal) => {
    if (code !== 0) process.stderr.write(`service exited ${code ?? signal}:\n${output}\n`);
  });
  return child;
}

async function botNames(port: number): Promise<string[] | undefined> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { bots: Array<{ name: string }> };
    return body.bots.map((b) => b.name).sort();
  } catch {
    return undefined; // not listening yet
  }
}

describe("reload of a running process", () => {
  it("when the ConfigMap's ..data link is swapped to a new folder, then --watch-config picks the new bot up within 5 s", async () => {
    const { dir, config, port } = await setUp();
    const file = configMap(dir, "2026_01_01_00_00_00.1", config(1));
    startProcess(["--config", file, "--watch-config"]);
    await until("the service serving one bot", async () => ((await botNames(port))?.length === 1 ? true : undefined), 30_000);
    configMap(dir, "2026_01_01_00_05_00.2", config(2), true);
    const swappedAt = Date.now();
    await until("the new bot on /status", async () => ((await botNames(port))?.includes("bot-1") ? true : undefined), 5_000);
    expect(Date.now() - swappedAt).toBeLessThan(5_000);
  }, 60_000);

  it("when the process gets SIGHUP after the file changed, then it reloads and keeps running", async () => {
    const { dir, config, port } = await setUp();
    const file = configMap(dir, "v1", config(1));
    const child = startProcess(["--config", file]);
    await until("the service serving one bot", async () => ((await botNames(port))?.length === 1 ? true : undefined), 30_000);
    writeFileSync(join(dir, "..v1", "secretary-watch.yaml"), JSON.stringify(config(3)));
    child.kill("SIGHUP");
    expect(await until("three bots on /status", async () => ((await botNames(port))?.length === 3 ? await botNames(port) : undefined), 5_000)).toEqual(["bot-0", "bot-1", "bot-2"]);
    expect(child.exitCode).toBeNull();
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^secretary_config_last_reload_successful 1$/m);
  }, 60_000);
});
