/**
 * The first hour of a new user: without a config file only `start` runs the demo; `doctor` asks the
 * Telegram its config names (or api.telegram.org), never the sandbox; the other commands refuse,
 * naming where they looked; the image refuses to run the demo in place of a missing config mount.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.ts";

/** An empty folder as the working directory: no config/secretary-watch.yaml, no SECRETARY_WATCH_CONFIG. */
const empty = () => mkdtempSync(join(tmpdir(), "secretary-watch-fresh-"));
const NO_CONFIG_ENV = { SECRETARY_WATCH_CONFIG: "", SECRETARY_WATCH_DEMO: "", SECRETARY_WATCH_IMAGE: "" };

describe("a command that needs a config, run where there is none", () => {
  it.each([["check"], ["alerts", "test"], ["config", "check"]])("when `%s` runs without one, then it exits 2 naming every place it looked and starts no demo", async (...command) => {
    const cwd = empty();
    const r = await cli(command, NO_CONFIG_ENV, { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no config file");
    expect(r.stderr).toContain("--config (not given)");
    expect(r.stderr).toContain("$SECRETARY_WATCH_CONFIG (not set)");
    expect(r.stderr).toContain(`${join(cwd, "config/secretary-watch.yaml")} (not found)`);
    expect(r.stdout).toBe("");
  });

  it("when the config is there under another extension, then the message names the file it found", async () => {
    const cwd = empty();
    mkdirSync(join(cwd, "config"));
    writeFileSync(join(cwd, "config/secretary-watch.yml"), "bots: []\n");
    const r = await cli(["check"], NO_CONFIG_ENV, { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`found ${join(cwd, "config/secretary-watch.yml")}: name it secretary-watch.yaml`);
  });
});

describe("secretary-watch doctor and the Telegram it asks", () => {
  let server: Server;
  let root: string;
  const seen: string[] = [];

  beforeAll(async () => {
    // A stand-in Bot API: records each request's path and answers 401, as Telegram does to a bad token.
    server = createServer((req: IncomingMessage, res) => {
      seen.push(req.url ?? "");
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: false, error_code: 401, description: "Unauthorized" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it("when the config sets telegram.apiRoot, then doctor says it asks that server and its requests arrive there", async () => {
    const cwd = empty();
    const config = join(cwd, "mine.yaml");
    writeFileSync(config, `telegram: { apiRoot: "${root}", timeout: 2s }\nbots: []\n`);
    const r = await cli(["doctor", "--config", config, "--token", "123456:AAtest-token-for-doctor", "--username", "mybot"], NO_CONFIG_ENV, { cwd });
    expect(r.stdout).toContain(`asking ${root} (telegram.apiRoot of ${config})`);
    expect(seen.some((p) => p.endsWith("/getMe"))).toBe(true);
    expect(seen.every((p) => p.startsWith("/bot123456:AAtest-token-for-doctor/"))).toBe(true);
    expect(r.stdout).toContain("401");
    expect(r.stdout).not.toContain("AAtest-token-for-doctor");
    expect(r.code).toBe(1);
  });

  it("when there is no config file, then doctor asks api.telegram.org, not the sandbox (no network here: the call fails fast, unknown)", async () => {
    const r = await cli(["doctor", "--token", "123456:AAtest-token-for-doctor", "--username", "mybot", "--timeout", "2s"], NO_CONFIG_ENV, { cwd: empty() });
    expect(r.stdout).toContain("asking https://api.telegram.org (no config file: Telegram's Bot API)");
    // Not a verdict on the token: the sandbox would have answered 401 and condemned it.
    expect(r.stdout).not.toContain("401");
    expect(r.stdout).toMatch(/1\. \? The BotFather token is valid/);
    expect(r.code).toBe(3);
  }, 30_000);

  it("when --timeout is not a duration, then the exit code is 2 naming it", async () => {
    const r = await cli(["doctor", "--token", "1:x", "--username", "mybot", "--timeout", "soon"], NO_CONFIG_ENV, { cwd: empty() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout expects a duration such as 5s, got "soon"');
  });
});

describe("secretary-watch start in the image (SECRETARY_WATCH_IMAGE=1)", () => {
  /** The image's layout: /app/config/secretary-watch.yaml links to the config mount /etc/secretary-watch/config.yaml. */
  function imageLayout(): { app: string; etc: string } {
    const root = mkdtempSync(join(tmpdir(), "secretary-watch-image-"));
    const etc = join(root, "etc/secretary-watch");
    const app = join(root, "app");
    mkdirSync(etc, { recursive: true });
    mkdirSync(join(app, "config"), { recursive: true });
    symlinkSync(join(etc, "config.yaml"), join(app, "config/secretary-watch.yaml"));
    return { app, etc };
  }

  it("when the config mount is missing, then it exits 2 naming the path it expected, and runs no demo", async () => {
    const { app, etc } = imageLayout();
    const r = await cli(["start"], { ...NO_CONFIG_ENV, SECRETARY_WATCH_IMAGE: "1" }, { cwd: app });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no config file at ${join(etc, "config.yaml")}`);
    expect(r.stderr).toContain(`${etc} is empty`);
    expect(r.stderr).toContain("SECRETARY_WATCH_DEMO=1");
    expect(r.stderr).not.toContain("secretary-watch DEMO:");
    expect(r.stdout).not.toContain("is serving");
  });

  it("when the config is mounted under another name, then the message lists what the mount holds", async () => {
    const { app, etc } = imageLayout();
    writeFileSync(join(etc, "my.yaml"), "bots: []\n");
    const r = await cli(["start"], { ...NO_CONFIG_ENV, SECRETARY_WATCH_IMAGE: "1" }, { cwd: app });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${etc} holds: my.yaml`);
  });

  it("when SECRETARY_WATCH_DEMO has a value that is neither 1 nor 0, then it exits 2 naming it", async () => {
    const r = await cli(["start"], { ...NO_CONFIG_ENV, SECRETARY_WATCH_DEMO: "yes please" }, { cwd: empty() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SECRETARY_WATCH_DEMO: expected 1 (run the demo) or 0, got "yes please"');
  });

  it("when SECRETARY_WATCH_DEMO=1 comes with --config, then it exits 2: the two contradict each other", async () => {
    const r = await cli(["start", "--config", "x.yaml"], { ...NO_CONFIG_ENV, SECRETARY_WATCH_DEMO: "1" }, { cwd: empty() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SECRETARY_WATCH_DEMO=1 runs the built-in demo, which takes no --config");
  });
});

describe("start without a config, outside the image", () => {
  it("when nothing is configured, then start plans the demo, and its banner says why, where the page and the sandbox are, and how to break a bot", async () => {
    const { planStart } = await import("../../src/cli/load-effective-config.ts");
    const { demoBanner } = await import("../../src/cli/demo-banner.ts");
    const { loadConfigFile } = await import("../../src/config/load.ts");
    const { DEMO_CONFIG } = await import("../../src/demo.ts");
    const cwd = empty();
    const plan = planStart(undefined, { env: {}, cwd });
    expect(plan).toEqual({ demo: true, why: `no config file: looked at --config (not given), $SECRETARY_WATCH_CONFIG (not set), ${join(cwd, "config/secretary-watch.yaml")} (not found)` });
    const config = loadConfigFile(DEMO_CONFIG, { SECRETARY_WATCH_SANDBOX_URL: "http://127.0.0.1:8081" });
    const banner = demoBanner({ why: (plan as { why: string }).why, serviceUrl: "http://0.0.0.0:9464", sandboxUrl: "http://127.0.0.1:8081", config });
    expect(banner).toContain("secretary-watch DEMO: 20 simulated bots");
    expect(banner).toContain(`Why the demo: no config file: looked at --config (not given)`);
    expect(banner).toContain("status page      http://localhost:9464/");
    expect(banner).toContain("sandbox control  http://127.0.0.1:8081/_sandbox/world");
    expect(banner).toContain("bearer token: demo-admin-token");
    expect(banner).toContain(`curl -X PATCH -H 'content-type: application/json' -d '{"revoked": true}' http://127.0.0.1:8081/_sandbox/bots/anna_secretary_bot`);
    expect(banner).toContain(`-d '{"revoked": false}'`);
  });

  it("when port 8081 is taken, then the demo's sandbox listens on another port and says which", async () => {
    const { startDemoSandbox, DEMO_SANDBOX_PORT } = await import("../../src/demo.ts");
    expect(DEMO_SANDBOX_PORT).toBe(8081);
    // Stand-in for a taken 8081 (tests bind only free loopback ports): a port this test holds.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as AddressInfo).port;
    const { sandbox, env } = await startDemoSandbox({ port: taken });
    try {
      expect(sandbox.port).not.toBe(taken);
      expect(env.SECRETARY_WATCH_SANDBOX_URL).toBe(`http://127.0.0.1:${sandbox.port}`);
      expect((await fetch(`${sandbox.url}/_sandbox/world`)).status).toBe(200);
    } finally {
      await sandbox.close();
      holder.close();
    }
  });
});
