import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackage } from "./debian.ts";

export interface RunningAlertmanager {
  url: string;
  stop(): Promise<void>;
}

/** A free loopback port (the kernel picks it; released before Alertmanager binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Starts Debian's Alertmanager on loopback with a no-op receiver and clustering off. */
export async function startAlertmanager(): Promise<RunningAlertmanager> {
  const binary = ensureDebianPackage("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager");
  const dir = mkdtempSync(join(tmpdir(), "alertmanager-"));
  const config = join(dir, "alertmanager.yml");
  writeFileSync(config, "route: { receiver: none }\nreceivers: [ { name: none } ]\n");
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${config}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited: ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`alertmanager did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
