import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { ConfigError, configSecrets } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { Fleet } from "../fleet.ts";
import { registerSecret } from "../redact.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import { applyChanges, type LiveParts } from "./apply.ts";
import { configDiff, snapshot, summarize, type ConfigChanges, type ConfigSnapshot } from "./config-diff.ts";

export type ReloadTrigger = "SIGHUP" | "api" | "watch";

export type ReloadOutcome = { applied: true; changes: ConfigChanges; summary: string } | { applied: false; errors: string[] };

export interface ReloaderOptions {
  /** The config file the service started from; absent for the built-in demo, which has none to reload. */
  file?: string | undefined;
  /** Reads and validates the file in full (loadConfigFile with the service's schema); throws ConfigError. */
  load: (file: string) => Config;
  config: Config;
  checks: CheckRegistry;
  parts: LiveParts;
  fleet: Pick<Fleet, "source">;
  logger: Logger;
  onResult: (successful: boolean) => void;
}

export const DEMO_HAS_NO_FILE = "the built-in demo has no config file to reload";

/**
 * Config reload (README, "Reload"): the file is validated in full and compared with what runs; a file
 * with any problem, or one that changes a restart-only key, changes nothing. Reloads run one at a time.
 */
export class ConfigReloader {
  private readonly o: ReloaderOptions;
  private current: ConfigSnapshot;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ReloaderOptions) {
    this.o = options;
    this.current = snapshot(options.config, options.checks);
  }

  get file(): string | undefined {
    return this.o.file;
  }

  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.run(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private run(trigger: ReloadTrigger): ReloadOutcome {
    const { logger } = this.o;
    if (!this.o.file) {
      logger.warn({ trigger }, DEMO_HAS_NO_FILE);
      return { applied: false, errors: [DEMO_HAS_NO_FILE] };
    }
    let next: Config;
    try {
      next = this.o.load(this.o.file);
    } catch (err) {
      return this.fail(trigger, err instanceof ConfigError ? err.problems : [String(err)]);
    }
    // Before anything can log: the new file's secrets are masked wherever they would appear.
    configSecrets(next).forEach(registerSecret);
    const proposed = snapshot(next, this.o.checks);
    const changes = configDiff(this.current, proposed);
    const errors = [...changes.refused, ...this.apiNameClashes(next, changes.bots.added)];
    if (errors.length > 0) return this.fail(trigger, errors);
    applyChanges(this.o.parts, next, changes);
    this.current = proposed;
    this.o.onResult(true);
    const summary = summarize(changes);
    logger.info({ trigger, file: this.o.file, added: changes.bots.added.length, removed: changes.bots.removed.length, changed: changes.bots.changed.length, sections: changes.sections }, `config reloaded: ${summary}`);
    return { applied: true, changes, summary };
  }

  /** A file bot may not take the name of a bot registered through the admin API. */
  private apiNameClashes(next: Config, added: readonly string[]): string[] {
    const adding = new Set(added);
    return next.bots.flatMap((bot, i) =>
      adding.has(bot.name) && this.o.fleet.source(bot.name) === "api" ? [`bots[${i}].name: a bot named "${bot.name}" is registered through the admin API; rename one of them`] : [],
    );
  }

  private fail(trigger: ReloadTrigger, errors: string[]): ReloadOutcome {
    for (const error of errors) this.o.logger.error({ trigger, file: this.o.file }, `config reload refused: ${error}`);
    this.o.logger.error({ trigger, file: this.o.file, problems: errors.length }, "config reload failed: nothing was changed");
    this.o.onResult(false);
    return { applied: false, errors };
  }
}

/** The file's bytes now, or undefined when it cannot be read (the watcher's "did it change"). */
export function fileBytes(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
