import type { Logger } from "pino";
import { channelDeps, createChannels, type ChannelRegistry } from "../alerts/channels/index.ts";
import { loadConfigFile } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { Monitor } from "../monitor.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import type { LiveParts } from "./apply.ts";
import { ConfigReloader } from "./reloader.ts";

export type { ConfigReloader };

export interface ReloadWiring {
  config: Config;
  /** The config file to reload; absent for the demo. */
  file?: string | undefined;
  /** How the file is read and validated (default: loadConfigFile with the process's environment). */
  load?: ((file: string) => Config) | undefined;
  checks: CheckRegistry;
  channelTypes?: ChannelRegistry | undefined;
  monitor: Monitor;
  parts: Omit<LiveParts, "createChannels" | "logger">;
  logger: Logger;
  onResult: (successful: boolean) => void;
}

/** The reloader on the service's parts: channels are made as the service made its first ones. */
export function createReloader(w: ReloadWiring): { reloader: ConfigReloader; parts: LiveParts } {
  const parts: LiveParts = {
    ...w.parts,
    createChannels: (next) => createChannels(next.alerts.channels, channelDeps(next, (name) => w.monitor.get(name)), w.channelTypes),
    logger: w.logger,
  };
  const reloader = new ConfigReloader({
    file: w.file,
    load: w.load ?? ((file) => loadConfigFile(file, process.env)),
    config: w.config,
    checks: w.checks,
    parts,
    fleet: parts.fleet,
    logger: w.logger,
    onResult: w.onResult,
  });
  return { reloader, parts };
}
