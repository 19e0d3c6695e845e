import { spawn } from "node:child_process";
import { createServer } from "node:net";

export interface RunningDaemon {
  url: string;
  stop(): Promise<void>;
}

/** A free loopback port (the kernel picks it; released before the daemon binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/**
 * Starts a Prometheus-family daemon (Prometheus, Alertmanager) on a free loopback port and waits
 * until its `/-/ready` answers; `args` gets the port. Fails with the daemon's stderr if it exits or
 * is not ready in time.
 */
export async function startLoopbackDaemon(name: string, binary: string, args: (port: number) => string[]): Promise<RunningDaemon> {
  const port = await freePort();
  const child = spawn(binary, args(port), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${stderr}`);
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
