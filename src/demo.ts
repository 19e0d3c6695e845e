import { fileURLToPath } from "node:url";
import { loadWorldFile } from "./sandbox/world-load.ts";
import { startSandbox, type Sandbox } from "./sandbox/server.ts";

export const DEMO_CONFIG = fileURLToPath(new URL("../config/demo.yaml", import.meta.url));
export const DEMO_WORLD = fileURLToPath(new URL("../config/demo-world.yaml", import.meta.url));
/** The sandbox's port in the demo, so that the README's curls work as written; another one when it is taken. */
export const DEMO_SANDBOX_PORT = 8081;

/**
 * The demo's simulated Telegram: the sandbox loaded with the demo world on loopback (`port`, default
 * 8081, else any free port), and the environment `config/demo.yaml` needs to point the monitor at it.
 */
export async function startDemoSandbox(opts: { port?: number } = {}): Promise<{ sandbox: Sandbox; env: Record<string, string> }> {
  const world = loadWorldFile(DEMO_WORLD);
  const port = opts.port ?? DEMO_SANDBOX_PORT;
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ world, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0) throw err;
    sandbox = await startSandbox({ world, port: 0 });
  }
  return { sandbox, env: { SECRETARY_WATCH_SANDBOX_URL: sandbox.url } };
}
