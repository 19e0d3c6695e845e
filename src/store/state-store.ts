import { Low } from "lowdb";
import type { BotStatus } from "../model.ts";
import type { AlertState } from "../alerts/state-machine.ts";
import type { OutboxEntry } from "../alerts/outbox.ts";
import type { Silence } from "../alerts/silences.ts";
import type { BotConfig } from "../config/schema.ts";
import { AtomicJsonFile } from "./atomic-json-file.ts";

/** Everything the monitor keeps across restarts. */
export interface StateData {
  version: 1;
  /** Last sweep per bot, so /status is right straight after a restart. */
  results: Record<string, BotStatus>;
  /** Alert state per alert key (bot name, or "monitor"): firing alerts survive restarts. */
  alerts: Record<string, AlertState>;
  /** Notifications not yet delivered: written here before the first attempt to send them. */
  outbox: OutboxEntry[];
  /** Silences created through the admin API. */
  silences: Silence[];
  /** Bots registered through the admin API; their tokens sealed with store.secretKey. */
  bots: Record<string, StoredBot>;
  /** Business connection ids recorded through the admin API (config bots too), by bot name. */
  connections: Record<string, string>;
}

/** An API-registered bot as stored: the config's bot entry with the token sealed. */
export interface StoredBot {
  config: Omit<BotConfig, "token">;
  sealedToken: string;
  createdAt: string;
  updatedAt: string;
}

const EMPTY: StateData = { version: 1, results: {}, alerts: {}, outbox: [], silences: [], bots: {}, connections: {} };

export interface StateStoreOptions {
  /** The state file; `null` keeps state in memory only (one-shot commands such as `check`). */
  path: string | null;
  /** Changes are written at most this often (one file write per window, whatever the fleet size). */
  flushIntervalMs?: number;
  onError?: (err: Error) => void;
}

/**
 * The lowdb state file with batched writes: callers change `data` and call `changed()`; the
 * file is rewritten once per flush window. `flush()` forces a write (shutdown, critical changes).
 */
export class StateStore {
  private readonly db: Low<StateData>;
  private readonly persistent: boolean;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  readonly stats = { writes: 0 };

  private readonly options: StateStoreOptions;

  private constructor(options: StateStoreOptions) {
    this.options = options;
    this.persistent = options.path !== null;
    const adapter = options.path === null ? { read: async () => null, write: async () => undefined } : new AtomicJsonFile<StateData>(options.path);
    this.db = new Low(adapter, structuredClone(EMPTY));
  }

  static async open(options: StateStoreOptions): Promise<StateStore> {
    const store = new StateStore(options);
    await store.db.read();
    if (store.db.data.version !== 1 || typeof store.db.data.results !== "object") {
      throw new Error(`state file ${String(options.path)}: not a secretary-watch state file (version ${String(store.db.data.version)})`);
    }
    // Files written before a section existed get it empty.
    store.db.data = { ...structuredClone(EMPTY), ...store.db.data };
    return store;
  }

  get data(): StateData {
    return this.db.data;
  }

  changed(): void {
    if (!this.persistent) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs ?? 1000);
  }

  /** Writes pending changes now; serialized with any write in progress. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.db.write();
        this.stats.writes++;
      } catch (err) {
        this.dirty = true;
        this.options.onError?.(err as Error);
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
