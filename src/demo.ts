import { fileURLToPath } from "node:url";
import { loadWorldFile } from "./sandbox/world.ts";
import { startSandbox, type Sandbox } from "./sandbox/server.ts";

export const DEMO_CONFIG = fileURLToPath(new URL("../config/demo.yaml", import.meta.url));
export const DEMO_WORLD = fileURLToPath(new URL("../config/demo-world.yaml", import.meta.url));

/**
 * The embedded default (SPEC §6): the sandbox loaded with the demo world on an ephemeral
 * loopback port, and the environment `config/demo.yaml` needs to point the monitor at it.
 */
export async function startDemoSandbox(): Promise<{ sandbox: Sandbox; env: Record<string, string> }> {
  const sandbox = await startSandbox({ world: await loadWorldFile(DEMO_WORLD) });
  return { sandbox, env: { SECRETARY_WATCH_SANDBOX_URL: sandbox.url } };
}
