import { Low } from "lowdb";
import { AtomicJsonFile } from "./atomic-json-file.ts";
import { armTimer } from "../clock.ts";
import { DocumentList, DocumentTable } from "./document-repositories.ts";
import type { KeyValueRepository, ListRepository, StateRepositories } from "./repositories.ts";
import { emptyState, stateChunks, stateFrom, type StateData, type StateShapes } from "./state-file.ts";

export type { StateData, StateShapes } from "./state-file.ts";
export { stateChunks } from "./state-file.ts";

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

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The state store: typed repositories per slice (results, alert states, outbox, silences, API bots,
 * connection ids), each owned by one part of the service, over one engine. Nothing outside `store/`
 * sees the state as a document; each operation is what one SQL statement would do (repositories.ts).
 *
 * The engine today is the lowdb state file with batched writes: an operation changes the document and
 * marks it changed; the file is rewritten once per window (the flush interval, longer for a big file:
 * at most ~2 MB/s on average, at most 10 s). Results and alert states are written in the background
 * (their writes resolve with the next window's write); the slices someone waits on (the outbox, the
 * admin API's silences, bots and connection ids) ask for the next write as soon as the flush interval
 * allows. Any number of writes in between share that one write. `close()` writes at once.
 *
 * Each write streams the whole state to the file in chunks (stateChunks): no full copy of the file is
 * ever held in memory, and the event loop keeps running while a big fleet's file is written.
 */
export class StateStore<S extends StateShapes> implements StateRepositories<S> {
  /** The last sweep of each bot, by bot name (Monitor). */
  readonly results: KeyValueRepository<S["results"]>;
  /** Alert states by alert key (AlertEngine); an idle alert is deleted. */
  readonly alerts: KeyValueRepository<S["alerts"]>;
  /** Notifications not yet delivered, oldest first (Outbox). */
  readonly outbox: ListRepository<S["outbox"]>;
  /** Silences created through the admin API. */
  readonly silences: ListRepository<S["silences"]>;
  /** Bots registered through the admin API, by name, tokens sealed (Fleet). */
  readonly bots: KeyValueRepository<S["bots"]>;
  /** Business connection ids recorded through the admin API, by bot name (Fleet). */
  readonly connections: KeyValueRepository<string>;

  private readonly db: Low<StateData<S>>;
  private readonly file: AtomicJsonFile<StateData<S>> | undefined;
  private readonly flushIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** The write on its way to disk, if any. */
  private writing: Promise<void> | undefined;
  /** Commits (writes, flush() callers) waiting for the next write. */
  private waiters: Waiter[] = [];
  /** Commits whose changes are in the write under way. */
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
    this.file = options.path === null ? undefined : new AtomicJsonFile<StateData<S>>(options.path);
    const adapter = this.file ?? { read: async () => null, write: async () => undefined };
    this.db = new Low(adapter, emptyState<S>());
    const background = () => this.commit(false);
    const urgent = () => this.commit(true);
    this.results = new DocumentTable(() => this.db.data.results, background);
    this.alerts = new DocumentTable(() => this.db.data.alerts, background);
    this.outbox = new DocumentList(() => this.db.data.outbox, urgent);
    this.silences = new DocumentList(() => this.db.data.silences, urgent);
    this.bots = new DocumentTable(() => this.db.data.bots, urgent);
    this.connections = new DocumentTable(() => this.db.data.connections, urgent);
  }

  /** Opens the state file (`path: null`: in memory); `S` names the record type of each slice (watch-state.ts). */
  static async open<S extends StateShapes>(options: StateStoreOptions): Promise<StateStore<S>> {
    const store = new StateStore<S>(options);
    await store.db.read();
    store.db.data = stateFrom(store.db.data, options.path);
    return store;
  }

  /**
   * Names the present moment for `isOnDisk`: whatever the store holds now is taken by every write
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

  /** Writes the state as it is, changed or not, as soon as the flush interval allows; resolves when on disk. */
  touch(): Promise<void> {
    this.changed();
    return this.flush();
  }

  /**
   * An operation changed the document: the commit that holds it is the next write, asked for as soon
   * as the flush interval allows when `urgent`. The promise never rejects unheard: a failed write is
   * reported by onError and retried.
   */
  private commit(urgent: boolean): Promise<void> {
    this.changed();
    const committed = urgent ? this.flush() : this.nextWrite();
    committed.catch(() => undefined);
    return committed;
  }

  /** Resolves when the next write, whenever the window brings it, is on disk. */
  private nextWrite(): Promise<void> {
    if (!this.file) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private changed(): void {
    if (!this.file) return;
    this.dirty = true;
    const window = Math.max(this.flushIntervalMs, Math.min(MAX_BACKGROUND_DELAY_MS, (this.lastBytes / BACKGROUND_BYTES_PER_SECOND) * 1000));
    if (this.timer === undefined) this.schedule(performance.now() + window);
  }

  /** Writes pending changes as soon as the flush interval allows; resolves when they are on disk (tests, shutdown). */
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
