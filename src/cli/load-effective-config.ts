import type { Config } from "../config/schema.ts";
import { loadConfigFile, resolveConfigPath } from "../config/load.ts";
import { DEMO_CONFIG, startDemoSandbox } from "../demo.ts";
import type { Sandbox } from "../sandbox/server.ts";

export interface EffectiveConfig {
  config: Config;
  /** Where it came from: a path, or "built-in demo". */
  source: string;
  /** Running only for the demo: the simulated Telegram the demo config points at. */
  sandbox?: Sandbox;
}

/** SPEC §2 resolution: --config, SECRETARY_WATCH_CONFIG, config/secretary-watch.yaml, else the demo. */
export async function loadEffectiveConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<EffectiveConfig> {
  const resolved = resolveConfigPath({ flag, env, cwd: process.cwd() });
  if ("path" in resolved) return { config: loadConfigFile(resolved.path, env), source: resolved.path };
  const { sandbox, env: demoEnv } = await startDemoSandbox();
  try {
    return { config: loadConfigFile(DEMO_CONFIG, { ...env, ...demoEnv }), source: "built-in demo", sandbox };
  } catch (err) {
    await sandbox.close();
    throw err;
  }
}
