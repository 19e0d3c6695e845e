import type { Logger } from "pino";
import type { CheckRegistry } from "./runner/define-check.ts";
import type { BotConfig, Config } from "./config/schema.ts";
import { resolveBots } from "./config/load.ts";
import type { BotStatus, MonitoredBot } from "./model.ts";
import type { Monitor, Sweep } from "./monitor.ts";
import type { Scheduler } from "./runner/scheduler.ts";
import type { OwnSchedules } from "./runner/own-schedules.ts";
import type { StateStore } from "./store/state-store.ts";
import type { SecretBox } from "./store/secret-box.ts";
import type { AlertEngine } from "./alerts/engine.ts";
import { inShard } from "./shard.ts";

export type BotSource = "config" | "api";

/** A refusal the admin API turns into an HTTP status with the offending field. */
export class FleetError extends Error {
  readonly status: 400 | 404 | 409;
  readonly field: string | undefined;

  constructor(status: 400 | 404 | 409, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export interface FleetOptions {
  config: Config;
  /** The checks a bot's options are resolved for (CHECKS, or more in tests). */
  checks: CheckRegistry;
  store: StateStore;
  monitor: Monitor;
  scheduler: Scheduler<Sweep>;
  ownSchedules: OwnSchedules;
  alerts: AlertEngine;
  /** Present when store.secretKey is set: without it the API cannot store tokens. */
  secretBox?: SecretBox;
  logger: Logger;
}

/**
 * The watched bots: config-file bots (read-only through the API) merged with bots registered through
 * the admin API (kept in the store, tokens sealed). Adding or removing a bot takes effect at once:
 * the monitor, the schedulers and the alert state follow, and the bot keeps its fixed slot.
 */
export class Fleet {
  private readonly o: FleetOptions;
  private readonly sources = new Map<string, BotSource>();

  constructor(options: FleetOptions) {
    this.o = options;
  }

  /**
   * Starts watching the config's bots (of this shard) and every stored API bot. The config's bots
   * are given here rather than kept: once resolved, the monitor holds what they say.
   */
  load(configBots: readonly BotConfig[]): void {
    for (const entry of configBots) if (inShard(entry.name, this.o.config.shard)) this.watch(this.resolve(entry), "config");
    const stored = Object.entries(this.o.store.data.bots);
    if (stored.length > 0 && !this.o.secretBox)
      throw new Error(`state file holds ${stored.length} bot(s) registered through the admin API, but store.secretKey is not set: their tokens cannot be read`);
    for (const [name, entry] of stored) {
      let token: string;
      try {
        token = this.o.secretBox!.open(entry.sealedToken, name);
      } catch {
        throw new Error(`state file: the token of API bot "${name}" does not decrypt with store.secretKey (wrong key?)`);
      }
      this.watch(this.resolve({ ...entry.config, token } as BotConfig), "api");
    }
  }

  source(name: string): BotSource | undefined {
    return this.sources.get(name);
  }

  get(name: string): { bot: MonitoredBot; source: BotSource } | undefined {
    const bot = this.o.monitor.get(name);
    const source = this.sources.get(name);
    return bot && source ? { bot, source } : undefined;
  }

  *list(): IterableIterator<{ bot: MonitoredBot; source: BotSource }> {
    for (const bot of this.o.monitor.bots()) yield { bot, source: this.sources.get(bot.name)! };
  }

  /** Registers a new bot through the API; its token is sealed before it is stored. */
  register(entry: BotConfig): MonitoredBot {
    if (this.sources.has(entry.name)) throw new FleetError(409, `a bot named "${entry.name}" already exists`, "name");
    const bot = this.resolve(entry);
    this.persist(entry, new Date().toISOString());
    this.watch(bot, "api");
    return bot;
  }

  /** Replaces an API bot's entry (the caller merges the patch); config bots are read-only. */
  update(name: string, entry: BotConfig): MonitoredBot {
    this.writable(name);
    if (entry.name !== name) throw new FleetError(400, "a bot's name cannot change", "name");
    const bot = this.resolve(entry);
    this.persist(entry, this.o.store.data.bots[name]!.createdAt);
    this.watch(bot, "api");
    return bot;
  }

  remove(name: string): void {
    this.writable(name);
    delete this.o.store.data.bots[name];
    delete this.o.store.data.connections[name];
    this.unwatch(name);
  }

  /** The config entry of an API bot, token included (for PATCH merges). */
  apiEntry(name: string): BotConfig {
    this.writable(name);
    const entry = this.o.store.data.bots[name]!;
    return { ...entry.config, token: this.o.secretBox!.open(entry.sealedToken, name) } as BotConfig;
  }

  /** Sweeps a watched bot now (the admin API's run); the result goes on as a scheduled sweep's does. */
  async sweepNow(name: string): Promise<BotStatus> {
    return (await this.o.scheduler.runNow(name)).status;
  }

  /** Records the business connection id a platform learned from a business_connection update. */
  recordConnection(name: string, id: string): MonitoredBot {
    const current = this.get(name);
    if (!current) throw new FleetError(404, `no bot named "${name}"`);
    this.o.store.data.connections[name] = id;
    this.o.store.changed();
    const bot = { ...current.bot, businessConnectionId: id };
    this.watch(bot, current.source);
    return bot;
  }

  private writable(name: string): void {
    const source = this.sources.get(name);
    if (!source) throw new FleetError(404, `no bot named "${name}"`);
    if (source === "config") throw new FleetError(409, `bot "${name}" comes from the config file; change it there`, "name");
  }

  private persist(entry: BotConfig, createdAt: string): void {
    if (!this.o.secretBox)
      throw new FleetError(400, "store.secretKey is not set, so the API refuses to store bot tokens (set SECRETARY_WATCH_SECRET)", "token");
    const { token, ...config } = entry;
    this.o.store.data.bots[entry.name] = { config, sealedToken: this.o.secretBox.seal(token, entry.name), createdAt, updatedAt: new Date().toISOString() };
    this.o.store.changed();
  }

  private resolve(entry: BotConfig): MonitoredBot {
    const bot = resolveBots({ ...this.o.config, bots: [entry] }, this.o.checks)[0]!;
    const recorded = this.o.store.data.connections[entry.name];
    return recorded ? { ...bot, businessConnectionId: recorded } : bot;
  }

  private watch(bot: MonitoredBot, source: BotSource): void {
    const stored = this.o.store.data.results[bot.name];
    this.o.monitor.upsert(bot);
    this.sources.set(bot.name, source);
    if (!this.o.scheduler.has(bot.name)) this.o.scheduler.add(bot.name, stored !== undefined);
    this.o.ownSchedules.follow(bot);
  }

  private unwatch(name: string): void {
    this.o.monitor.remove(name);
    this.sources.delete(name);
    this.o.scheduler.remove(name);
    this.o.ownSchedules.remove(name);
    this.o.alerts.forget(name);
  }
}
