/**
 * Which config a command runs on. Only `start` may fall back to the built-in demo (and says so loudly):
 * `check`, `alerts test` and `config check` without a config file are usage errors naming where they
 * looked, and `doctor` without one asks Telegram's own Bot API with the defaults, never the sandbox.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { loadConfigFile, misnamedConfigs, parseConfig, resolveConfigPath, type ConfigLocation } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { UsageError } from "./check-command.ts";

type NotFound = Extract<ConfigLocation, { none: true }>;

export interface LoadedConfig {
  config: Config;
  /** The file's path; undefined when there is none (doctor's defaults). */
  file?: string;
}

interface Where {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A config file, or a usage error (exit 2) naming every place looked at. */
export function loadRequiredConfig(command: string, flag: string | undefined, where: Where = {}): LoadedConfig & { file: string } {
  const env = where.env ?? process.env;
  const found = resolveConfigPath({ flag, env, cwd: where.cwd ?? process.cwd() });
  if ("none" in found) throw new UsageError(`${command}: no config file (looked at ${found.looked.join(", ")})${misnamedHint(found)}; pass --config PATH (start from config/example.yaml). Only \`start\` runs the built-in demo without one`);
  return { config: loadConfigFile(found.path, env), file: found.path };
}

/** doctor's config: the file when there is one, else the defaults (Telegram's Bot API at https://api.telegram.org). */
export function loadDoctorConfig(flag: string | undefined, where: Where = {}): LoadedConfig {
  const env = where.env ?? process.env;
  const found = resolveConfigPath({ flag, env, cwd: where.cwd ?? process.cwd() });
  if ("none" in found) return { config: parseConfig("bots: []", {}, "the defaults") };
  return { config: loadConfigFile(found.path, env), file: found.path };
}

export type StartPlan = ({ demo: false } & LoadedConfig & { file: string }) | { demo: true; why: string };

/**
 * `start`: the config file, or the demo when none is found or SECRETARY_WATCH_DEMO=1 asks for it. In
 * the image (SECRETARY_WATCH_IMAGE=1) a missing or misnamed config mount is an error naming the path
 * it expected: a production container must not quietly watch simulated bots.
 */
export function planStart(flag: string | undefined, where: Where = {}): StartPlan {
  const env = where.env ?? process.env;
  if (demoRequested(env)) {
    if (flag) throw new UsageError("SECRETARY_WATCH_DEMO=1 runs the built-in demo, which takes no --config: unset one of them");
    return { demo: true, why: "SECRETARY_WATCH_DEMO=1 asks for it" };
  }
  const found = resolveConfigPath({ flag, env, cwd: where.cwd ?? process.cwd() });
  if ("path" in found) return { demo: false, config: loadConfigFile(found.path, env), file: found.path };
  if (env.SECRETARY_WATCH_IMAGE === "1") throw new UsageError(imageMessage(found));
  return { demo: true, why: `no config file: looked at ${found.looked.join(", ")}` };
}

/** SECRETARY_WATCH_DEMO: 1 (or true) runs the demo; unset, empty or 0 does not; anything else is a mistake worth naming. */
export function demoRequested(env: NodeJS.ProcessEnv): boolean {
  const value = env.SECRETARY_WATCH_DEMO ?? "";
  if (value === "1" || value === "true") return true;
  if (value === "" || value === "0" || value === "false") return false;
  throw new UsageError(`SECRETARY_WATCH_DEMO: expected 1 (run the demo) or 0, got "${value}"`);
}

function misnamedHint(found: NotFound): string {
  const misnamed = misnamedConfigs(found.expected);
  return misnamed.length ? `; found ${misnamed.join(", ")}: name it ${path.basename(found.expected)}` : "";
}

function imageMessage(found: NotFound): string {
  const dir = path.dirname(found.expected);
  let held: string;
  try {
    const names = readdirSync(dir);
    held = names.length ? `${dir} holds: ${names.join(", ")}` : `${dir} is empty`;
  } catch {
    held = `${dir} does not exist`;
  }
  return (
    `start: no config file at ${found.expected}, where the image expects its config mount (${held}). ` +
    `Mount your config there (-v "$PWD/my.yaml:${found.expected}:ro") or name another file with SECRETARY_WATCH_CONFIG; ` +
    "to run the built-in demo instead, use the command `demo` or set SECRETARY_WATCH_DEMO=1"
  );
}
