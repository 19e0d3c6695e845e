import type { Logger } from "pino";
import type { CheckRegistry } from "./runner/define-check.ts";
import type { BotConfig, Config } from "./config/schema.ts";
import { resolveBots } from "./config/load.ts";
import type { BotStatus, MonitoredBot } from "./model.ts";
import type { Monitor, Sweep } from "./monitor.ts";
import type { Scheduler } from "./runner/scheduler.ts";
import type { OwnSchedules } from "./runner/own-schedules.ts";
import type { KeyValueRepository } from "./store/repositories.ts";
import type { SecretBox } from "./store/secret-box.ts";
import type { AlertEngine } from "./alerts/engine.ts";
import { inShard } from "./shard.ts";
import { RefusalError } from "./errors.ts";
import type { HistoryLog } from "./history/history.ts";

export type BotSource = "config" | "api";

/** An API-registered bot as stored: the config's bot entry with the token sealed. */
export interface StoredBot {
  config: Omit<BotConfig, "token">;
  sealedToken: string;
  createdAt: string;
  updatedAt: string;
}

/** What the fleet keeps in the state store: API bots and connection ids; it reads bots' last results. */
export interface FleetStore {
  readonly bots: KeyValueRepository<StoredBot>;
  readonly connections: KeyValueRepository<string>;
  readonly results: Pick<KeyValueRepository<BotStatus>, "has" | "get">;
}

/** A change in effect at once; `saved` resolves when the store committed it (the admin API answers then). */
export interface FleetChange {
  bot: MonitoredBot;
  saved: Promise<void>;
}

export interface FleetOptions {
  config: Config;
  /** The checks a bot's options are resolved for (CHECKS, or more in tests). */
  checks: CheckRegistry;
  store: FleetStore;
  monitor: Monitor;
  scheduler: Scheduler<Sweep>;
  ownSchedules: OwnSchedules;
  alerts: AlertEngine;
  /** Present when store.secretKey is set: without it the API cannot store tokens. */
  secretBox?: SecretBox;
  logger: Logger;
  /** A removed bot's health becomes unknown in the history: nothing is known of it from then on. */
  history?: Pick<HistoryLog, "recordHealth">;
  /**
   * Replicas (store.url): whether this replica sweeps `name` (it holds the bot's shard). Every bot is
   * watched (the monitor knows it: /status, the page, the admin API serve the whole fleet), only those
   * it owns are scheduled, and what follows from a bot's removal (history, alert) is the owner's.
   * Without it, this process watches the bots of its static shard (config.shard) and sweeps them all.
   */
  owns?: (name: string) => boolean;
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
    for (const entry of configBots) if (this.o.owns || inShard(entry.name, this.o.config.shard)) this.watch(this.resolve(entry), "config");
    const stored = [...this.o.store.bots.entries()];
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

  /**
   * A reload (README, "Reload"): file bots added (swept as a start sweeps them), changed (watched anew,
   * kept on their slot) and removed (as an admin DELETE removes a bot). API bots are never touched.
   */
  reload(next: readonly BotConfig[], change: { added: readonly string[]; removed: readonly string[]; changed: readonly string[] }): void {
    const entries = new Map(next.map((entry) => [entry.name, entry]));
    for (const name of change.removed) if (this.sources.get(name) === "config") this.unwatch(name);
    for (const name of [...change.added, ...change.changed]) {
      const entry = entries.get(name)!;
      if (this.sources.get(name) !== "api" && (this.o.owns || inShard(name, this.o.config.shard))) this.watch(this.resolve(entry), "config", "soon");
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

  /** Registers a new bot through the API; its token is sealed before it is stored. Throws RefusalError. */
  register(entry: BotConfig): FleetChange {
    if (this.sources.has(entry.name)) throw new RefusalError(409, `a bot named "${entry.name}" already exists`, "name");
    const bot = this.resolve(entry);
    const saved = this.persist(entry, new Date().toISOString());
    this.watch(bot, "api", true);
    return { bot, saved };
  }

  /** Replaces an API bot's entry (the caller merges the patch); config bots are read-only. */
  update(name: string, entry: BotConfig): FleetChange {
    this.writable(name);
    if (entry.name !== name) throw new RefusalError(400, "a bot's name cannot change", "name");
    const bot = this.resolve(entry);
    const saved = this.persist(entry, this.o.store.bots.get(name)!.createdAt);
    this.watch(bot, "api");
    return { bot, saved };
  }

  /** Stops watching an API bot and forgets it. Returns the commit. */
  remove(name: string): Promise<void> {
    this.writable(name);
    const saved = Promise.all([this.o.store.bots.delete(name), this.o.store.connections.delete(name)]).then(() => undefined);
    saved.catch(() => undefined); // a caller that does not wait is not told; the store reports and retries
    this.unwatch(name);
    return saved;
  }

  /**
   * Another replica registered, changed or deleted an API bot, or recorded a connection id (the store's
   * change feed put it in memory): the monitor and the schedules follow, as if it had been done here.
   */
  followRemote(slice: string, name: string): void {
    if (slice !== "bots" && slice !== "connections") return;
    const stored = this.o.store.bots.get(name);
    if (stored && this.sources.get(name) !== "config") {
      const token = this.remoteToken(name, stored.sealedToken);
      if (token !== undefined) this.watch(this.resolve({ ...stored.config, token } as BotConfig), "api", !this.sources.has(name));
    } else if (!stored && this.sources.get(name) === "api") {
      this.unwatch(name);
    } else if (slice === "connections" && this.sources.has(name)) {
      const current = this.get(name)!;
      const id = this.o.store.connections.get(name);
      if (id) this.watch({ ...current.bot, businessConnectionId: id }, current.source);
    }
  }

  /**
   * The token of a bot another replica registered, or undefined (logged) when this replica cannot read
   * it: without store.secretKey, or with another key than the replica that sealed it. The bot is then
   * neither swept nor shown here, and the log says why rather than the bot silently missing.
   */
  private remoteToken(name: string, sealed: string): string | undefined {
    if (!this.o.secretBox) {
      this.o.logger.error({ bot: name }, "a bot registered on another replica cannot be watched here: store.secretKey is not set on this replica (every replica needs the same key)");
      return undefined;
    }
    try {
      return this.o.secretBox.open(sealed, name);
    } catch {
      this.o.logger.error({ bot: name }, "a bot registered on another replica cannot be watched here: its token does not decrypt with this replica's store.secretKey (every replica needs the same key)");
      return undefined;
    }
  }

  /**
   * The shards this replica holds changed: it schedules the bots it owns now and lets go of the others.
   * A bot taken over keeps its slot; one whose slot passed while its shard had no holder (no sweep was
   * recorded for it) is swept at once first.
   */
  rebalance(): void {
    for (const bot of [...this.o.monitor.bots()]) {
      const owned = this.owns(bot.name);
      if (owned && !this.o.scheduler.has(bot.name)) {
        const last = this.o.store.results.get(bot.name);
        this.o.scheduler.add(bot.name, last ? { lastSweptAt: Date.parse(last.checkedAt) } : false);
        this.o.ownSchedules.follow(bot);
      } else if (!owned && this.o.scheduler.has(bot.name)) {
        this.o.scheduler.remove(bot.name);
        this.o.ownSchedules.remove(bot.name);
      }
    }
  }

  private owns(name: string): boolean {
    return this.o.owns?.(name) ?? true;
  }

  /** The config entry of an API bot, token included (for PATCH merges). */
  apiEntry(name: string): BotConfig {
    this.writable(name);
    const entry = this.o.store.bots.get(name)!;
    return { ...entry.config, token: this.o.secretBox!.open(entry.sealedToken, name) } as BotConfig;
  }

  /** Sweeps a watched bot now (the admin API's run); the result goes on as a scheduled sweep's does. */
  async sweepNow(name: string): Promise<BotStatus> {
    return (await this.o.scheduler.runNow(name)).status;
  }

  /** Records the business connection id a platform learned from a business_connection update. */
  recordConnection(name: string, id: string): FleetChange {
    const current = this.get(name);
    if (!current) throw new RefusalError(404, `no bot named "${name}"`);
    const saved = this.o.store.connections.put(name, id);
    const bot = { ...current.bot, businessConnectionId: id };
    this.watch(bot, current.source);
    return { bot, saved };
  }

  private writable(name: string): void {
    const source = this.sources.get(name);
    if (!source) throw new RefusalError(404, `no bot named "${name}"`);
    if (source === "config") throw new RefusalError(409, `bot "${name}" comes from the config file; change it there`, "name");
  }

  private persist(entry: BotConfig, createdAt: string): Promise<void> {
    if (!this.o.secretBox)
      throw new RefusalError(400, "store.secretKey is not set, so the API refuses to store bot tokens (set SECRETARY_WATCH_SECRET)", "token");
    const { token, ...config } = entry;
    return this.o.store.bots.put(entry.name, { config, sealedToken: this.o.secretBox.seal(token, entry.name), createdAt, updatedAt: new Date().toISOString() });
  }

  private resolve(entry: BotConfig): MonitoredBot {
    const bot = resolveBots({ ...this.o.config, bots: [entry] }, this.o.checks)[0]!;
    const recorded = this.o.store.connections.get(entry.name);
    return recorded ? { ...bot, businessConnectionId: recorded } : bot;
  }

  /**
   * `registered` true: a bot new to the fleet, registered through the API here or on another replica:
   * swept at once. "soon": a file bot a reload added: swept within the interval (Scheduler.add).
   */
  private watch(bot: MonitoredBot, source: BotSource, registered: boolean | "soon" = false): void {
    this.o.monitor.upsert(bot);
    this.sources.set(bot.name, source);
    if (this.owns(bot.name)) this.schedule(bot, registered);
  }

  /** `now`: its first sweep at once, its slot after; "soon": early in the interval if it was never checked. */
  private schedule(bot: MonitoredBot, now: boolean | "soon" = false): void {
    const checked = this.o.store.results.has(bot.name);
    if (!this.o.scheduler.has(bot.name)) this.o.scheduler.add(bot.name, now === true ? "now" : now === "soon" && !checked ? "soon" : checked);
    this.o.ownSchedules.follow(bot);
  }

  /** Stops watching `name`; its owner records it in the history and ends its alert (one replica does). */
  private unwatch(name: string): void {
    const owned = this.owns(name);
    if (owned && this.o.store.results.has(name)) this.o.history?.recordHealth(name, { at: Date.now(), health: "unknown", message: "removed from the fleet" });
    this.o.monitor.remove(name);
    this.sources.delete(name);
    this.o.scheduler.remove(name);
    this.o.ownSchedules.remove(name);
    if (owned) this.o.alerts.forget(name);
  }
}
