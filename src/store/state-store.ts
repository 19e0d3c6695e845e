import { Low } from "lowdb";
import type { BotStatus } from "../model.ts";
import type { AlertState } from "../alerts/state-machine.ts";
import type { OutboxEntry } from "../alerts/outbox.ts";
import type { Silence } from "../alerts/silences.ts";
import type { BotConfig } from "../config/schema.ts";
import { AtomicJsonFile } from "./atomic-json-file.ts";
import { armTimer } from "../clock.ts";

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
  /** Writes start at most this often (one file write per window, whatever the fleet size). */
  flushIntervalMs?: number;
  onError?: (err: Error) => void;
}

/**
 * Background writes average at most this many bytes a second: a big fleet's file (about 1.8 KB per
 * bot) is rewritten less often than every flush window, so disk traffic stays bounded; flush() is not
 * held back by it.
 */
const BACKGROUND_BYTES_PER_SECOND = 2 * 2 ** 20;
/** The longest a change waits for its background write. */
const MAX_BACKGROUND_DELAY_MS = 10_000;

/**
 * The lowdb state file with batched writes: callers change `data` and call `changed()`; the file is
 * rewritten once per window (the flush interval, longer for a big file: at most ~2 MB/s on average,
 * at most 10 s). `flush()` asks for the next write as soon as the flush interval allows and resolves
 * once it is on disk (critical changes: the outbox); any number of flush() calls in between share that
 * one write. `close()` writes at once.
 *
 * Each write streams the whole state to the file in chunks (stateChunks): no full copy of the file is
 * ever held in memory, and the event loop keeps running while a big fleet's file is written.
 */
interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class StateStore {
  private readonly db: Low<StateData>;
  private readonly file: AtomicJsonFile<StateData> | undefined;
  private readonly flushIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** The write on its way to disk, if any. */
  private writing: Promise<void> | undefined;
  /** flush() callers waiting for the next write. */
  private waiters: Waiter[] = [];
  /** flush() callers whose changes are in the write under way. */
  private inflight: Waiter[] = [];
  private dirty = false;
  /** Monotonic ms (performance.now()), as is timerAt: a wall-clock step must not hold a write back. */
  private lastWriteAt = -Infinity;
  private lastBytes = 0;
  /** Writes started so far: a write's number names the state it took (see mark()). */
  private started = 0;
  /** The number of the newest write that reached the disk (0: none yet). */
  private durable = 0;
  /** The last write failed, and none has succeeded since. */
  private failing = false;
  private readonly written = new Set<() => void>();
  readonly stats = { writes: 0, bytes: 0 };

  private readonly options: StateStoreOptions;

  private constructor(options: StateStoreOptions) {
    this.options = options;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.file = options.path === null ? undefined : new AtomicJsonFile<StateData>(options.path);
    const adapter = this.file ?? { read: async () => null, write: async () => undefined };
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

  /**
   * Names the present moment for `isOnDisk`: whatever is in `data` now is taken by every write
   * numbered above the mark. Writes take the state in the order they start (one at a time).
   */
  mark(): number {
    return this.started;
  }

  /** True when a write that took the state after `mark` is on disk: a change made before the mark is. */
  isOnDisk(mark: number): boolean {
    return this.durable > mark;
  }

  /**
   * True when the newest write reached the disk, so what is on disk can be changed: false before
   * this process has written (the disk may have turned read-only while it was down) and from a failed
   * write until one succeeds. A caller that must record what it does to the file's contents (the
   * outbox removing what it delivered) waits for `onWritten` meanwhile. Always true without a file.
   */
  get writable(): boolean {
    return !this.file || (this.durable > 0 && !this.failing);
  }

  /** Calls `listener` after every write that reached the disk. Returns the unsubscribe. */
  onWritten(listener: () => void): () => void {
    this.written.add(listener);
    return () => this.written.delete(listener);
  }

  changed(): void {
    if (!this.file) return;
    this.dirty = true;
    const window = Math.max(this.flushIntervalMs, Math.min(MAX_BACKGROUND_DELAY_MS, (this.lastBytes / BACKGROUND_BYTES_PER_SECOND) * 1000));
    if (this.timer === undefined) this.schedule(performance.now() + window);
  }

  /** Writes pending changes as soon as the flush interval allows; resolves when they are on disk. */
  flush(): Promise<void> {
    if (!this.file) return Promise.resolve();
    // Nothing new: whatever was changed before is in the write under way, or already on disk.
    if (!this.dirty) return this.writing ? new Promise<void>((resolve, reject) => this.inflight.push({ resolve, reject })) : Promise.resolve();
    const written = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule(this.lastWriteAt + this.flushIntervalMs);
    return written;
  }

  /** Writes pending changes now, whatever the flush interval (shutdown). */
  async close(): Promise<void> {
    if (!this.file) return;
    await this.writing;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.dirty) await this.write();
  }

  /** Arms the write timer for `at`, or earlier if it is already armed for sooner. */
  private schedule(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = armTimer(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      // One write at a time: the next starts when this one is done.
      if (this.writing) void this.writing.then(() => this.schedule(this.lastWriteAt + this.flushIntervalMs));
      else if (this.dirty) void this.write();
      else this.release(this.waiters.splice(0));
    }, at - performance.now());
  }

  private write(): Promise<void> {
    // Callers that flush() while this write is under way join these waiters (see flush()).
    const waiters = (this.inflight = this.waiters.splice(0));
    this.dirty = false;
    this.lastWriteAt = performance.now();
    // The state is taken here, in this synchronous step (stateChunks): `number` names it.
    const number = ++this.started;
    this.writing = this.file!.writeChunks(stateChunks(this.db.data)).then(
      (bytes) => {
        this.stats.writes++;
        this.stats.bytes += bytes;
        this.lastBytes = bytes;
        this.writing = undefined;
        this.durable = number;
        this.failing = false;
        this.release(waiters);
        for (const listener of this.written) listener();
      },
      (err: Error) => {
        this.writing = undefined;
        this.failing = true;
        this.failed(err, waiters);
      },
    );
    return this.writing;
  }

  /**
   * A failed write is retried with the next window. Its flush() callers are told it failed: a caller
   * that promised "on disk" (the admin API, the outbox) must not believe it.
   */
  private failed(err: Error, waiters: Waiter[]): void {
    this.dirty = true;
    this.options.onError?.(err);
    for (const w of waiters) w.reject(err);
    this.changed();
  }

  private release(waiters: Waiter[]): void {
    for (const w of waiters) w.resolve();
  }
}

/**
 * JSON.stringify of the state, in pieces: one per result (most of the file: one per bot), every
 * other section whole. Nothing builds the whole file as one string: the writer packs the pieces into
 * its buffer and asks for more only after each write, so the event loop runs in between. Results are
 * taken as they are when their piece is made (a bot's result is replaced, never changed in place).
 * Alert states and the outbox are taken at the call, together: an alert's step and the notifications
 * it owes are one change (AlertEngine), and a file holding one without the other would lose a
 * notification or repeat it after a crash.
 */
export function stateChunks(data: StateData): Generator<string> {
  const taken = new Map(TAKEN_TOGETHER.map((key) => [key, JSON.stringify(data[key])]));
  return pieces(data, taken);
}

const TAKEN_TOGETHER = ["alerts", "outbox"] as const satisfies readonly (keyof StateData)[];

function* pieces(data: StateData, taken: ReadonlyMap<string, string>): Generator<string> {
  let first = true;
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const head = `${first ? "{" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (key !== "results") {
      yield head + (taken.get(key) ?? JSON.stringify(value));
      continue;
    }
    yield `${head}{`;
    let separator = "";
    for (const [name, status] of Object.entries(value as StateData["results"])) {
      if (status === undefined) continue;
      yield `${separator}${JSON.stringify(name)}:${JSON.stringify(status)}`;
      separator = ",";
    }
    yield "}";
  }
  yield first ? "{}" : "}";
}
