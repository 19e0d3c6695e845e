/**
 * The compose stack's own processes, without Docker: the sandbox service's command line, the
 * secretary-watch config the stack mounts and an SMTP catcher in Mailpit's place, on loopback. Only
 * the host names change (sandbox and mailpit become 127.0.0.1 on free ports); the health checks are
 * the ones docker-compose.yml and the Dockerfile declare.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { loadConfigFile } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service } from "../../src/service.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { LogSink, until } from "../support/service-harness.ts";
import { options, parseDockerfile, stages } from "./dockerfile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const compose = YAML.parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, { command?: string[]; healthcheck?: { test: string[] } }>;
};
const sandboxService = compose.services.sandbox!;
const SANDBOX_PORT = sandboxService.command![sandboxService.command!.indexOf("--port") + 1]!;

/** Runs a health check's `node -e` command (`CMD` form) with the port swapped; its exit code. */
function probe(test: string[], fromPort: string | number, toPort: number): Promise<number | null> {
  const argv = test[0] === "CMD" ? test.slice(1) : test;
  expect(argv[0]).toBe("node");
  const script = argv.at(-1)!.replace(`:${fromPort}/`, `:${toPort}/`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...argv.slice(1, -1), script], { cwd: ROOT, stdio: "ignore", timeout: 10_000 });
    child.on("exit", (code) => resolve(code));
  });
}

type Mail = { from: string; to: string[]; raw: string };

describe("the compose stack's processes on loopback", () => {
  let sandbox: ChildProcess;
  let sandboxPort: number;
  let smtp: SMTPServer;
  const mails: Mail[] = [];
  let service: Service;
  const logs = new LogSink();
  let config: Record<string, any>;

  beforeAll(async () => {
    // The sandbox service: its compose command line, on a free loopback port.
    sandboxPort = await freePort();
    const args = sandboxService.command!.map((a) => (a === SANDBOX_PORT ? String(sandboxPort) : a === "0.0.0.0" ? "127.0.0.1" : a));
    sandbox = spawn(process.execPath, ["src/cli/main.ts", ...args], { cwd: ROOT, stdio: "ignore" });
    // Mailpit's part: accept any mail, no authentication, no TLS.
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    // Compose starts secretary-watch once the sandbox's health check passes.
    await until("the sandbox's compose health check to pass", async () => ((await probe(sandboxService.healthcheck!.test, SANDBOX_PORT, sandboxPort)) === 0 ? true : undefined), 15_000);

    // The mounted config, with the compose host names pointed at loopback and a short interval.
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-stack-"));
    config = YAML.parse(readFileSync(join(ROOT, "deploy/compose/secretary-watch.yaml"), "utf8"));
    expect(config.telegram.apiRoot).toBe(`http://sandbox:${SANDBOX_PORT}`);
    config.telegram.apiRoot = `http://127.0.0.1:${sandboxPort}`;
    // The webhook endpoints the sandbox serves, as webhook-endpoint reaches them (connectTo), on loopback too.
    const connectTo = config.checks["webhook-endpoint"].connectTo as Record<string, string>;
    for (const host of Object.keys(connectTo)) {
      expect(connectTo[host]).toBe(`http://sandbox:${SANDBOX_PORT}`);
      connectTo[host] = `http://127.0.0.1:${sandboxPort}`;
    }
    for (const channel of Object.values(config.alerts.channels) as Array<{ type: string; url?: string }>)
      if (channel.type === "email") channel.url = channel.url!.replace("//mailpit:1025", `//127.0.0.1:${smtpPort}`);
    config.store.path = join(dir, "state.json");
    config.schedule.interval = "1s";
    writeFileSync(join(dir, "config.yaml"), YAML.stringify(config));
    service = await startService({ config: loadConfigFile(join(dir, "config.yaml"), {}), logger: createLogger({ level: "warn", destination: logs }), port: 0, storeFlushMs: 50 });
  }, 40_000);

  afterAll(async () => {
    await service?.stop();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (sandbox && sandbox.exitCode === null) {
      const exited = new Promise((resolve) => sandbox.once("exit", resolve));
      sandbox.kill("SIGTERM");
      await exited;
    }
  });

  it("when the demo's bots fail, then their alerts reach the mail catcher through the email channel", async () => {
    const email = Object.values(config.alerts.channels).find((c: any) => c.type === "email") as { from: string; to: string[] };
    const mail = await until("a FIRING mail", () => mails.find((m) => /FIRING/.test(m.raw)), 15_000);
    expect(mail.from).toBe(email.from);
    expect(mail.to).toEqual(email.to);
    expect(mail.raw).toMatch(/^Subject: .*FIRING/m);
  });

  it("when the image's health check probes the running service, then it passes", async () => {
    const [hc] = stages(parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8")))
      .at(-1)!
      .instructions.filter((i) => i.keyword === "HEALTHCHECK");
    const [node, ...args] = JSON.parse(/^CMD\s+(\[[\s\S]*\])$/.exec(options(hc!.args).rest)![1]!) as string[];
    expect(node).toBe("node");
    // It asks the port of the config the container runs on: the mounted config, with the port the
    // service got here written in (the image's environment, where SECRETARY_WATCH_CONFIG names the mount).
    const mounted = join(mkdtempSync(join(tmpdir(), "secretary-watch-stack-hc-")), "config.yaml");
    writeFileSync(mounted, YAML.stringify({ ...config, server: { ...config.server, port: Number(new URL(service.url).port) } }));
    const env = { ...process.env, SECRETARY_WATCH_IMAGE: "1", SECRETARY_WATCH_CONFIG: mounted };
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: "ignore", timeout: 20_000 });
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(0);
  }, 30_000);

  it("when the demo runs against the sandbox service, then /status shows every bot of the stack's config checked", async () => {
    const names = (config.bots as Array<{ name: string }>).map((b) => b.name).sort();
    const status = await until(
      "every bot's first sweep",
      async () => {
        const body = (await (await fetch(`${service.url}/status`)).json()) as { bots: Array<{ name: string; health: string; checks: unknown[] }> };
        return body.bots.every((b) => b.checks.length > 0) ? body : undefined;
      },
      15_000,
    );
    expect(status.bots.map((b) => b.name).sort()).toEqual(names);
    expect(status.bots.find((b) => b.name === "anna")!.health).toBe("healthy");
    expect(status.bots.find((b) => b.name === "revoked")!.health).toBe("down");
  });
});
