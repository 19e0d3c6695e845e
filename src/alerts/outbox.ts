import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Durability, ListRepository } from "../store/repositories.ts";
import { ChannelError, type AlertMessage, type Channel } from "./types.ts";
import { redactSecrets } from "../redact.ts";
import { armTimer, systemClock, type Clock } from "../clock.ts";

/** One notification to one channel, persisted until delivered, refused for good, or expired. */
export interface OutboxEntry {
  id: string;
  channel: string;
  message: AlertMessage;
  /** ISO time it was queued. */
  createdAt: string;
  attempts: number;
  /** Epoch ms of the next attempt (for people and the next process; this one waits in monotonic time). */
  nextAttemptAt: number;
  lastError?: string;
}

export type DeliveryResult = "sent" | "failed" | "dropped";

/** What the outbox keeps in the state store (its entries) and must know of its commits. */
export interface OutboxStore extends Durability { readonly outbox: ListRepository<OutboxEntry> }

/** What an attempt came to: how many attempts so far, and the error when it was not sent (redacted). */
export interface AttemptDetail { attempts: number; error?: string }

/** Hears every delivery attempt's outcome. */
export type DeliveryListener = (channel: string, kind: AlertMessage["kind"], result: DeliveryResult, message: AlertMessage, detail: AttemptDetail) => void;

export interface OutboxOptions {
  store: OutboxStore;
  channels: readonly Channel[];
  logger: Logger;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A receiver's Retry-After longer than this is waited only this long (default 1 h). */
  maxRetryAfterMs?: number;
  /** Undelivered notifications are dropped after this long (README, "Alerts": 24 h). */
  expireAfterMs?: number;
  /** How long one delivery attempt may take. */
  sendTimeoutMs?: number;
  /** Counts every attempt's outcome: `failed` will be retried, `dropped` will not. */
  onResult?: DeliveryListener;
  /** Wall clock for what is stored, monotonic clock for waiting (tests inject both). */
  clock?: Clock;
}

/**
 * The durable outbox (README, "Alerts"). `enqueue` writes the notification to the state file before
 * anything is sent, so a crash between deciding and delivering loses nothing; delivery runs on its
 * own timer, off the check path, so a slow mail server never delays a sweep. Failed attempts are
 * retried with exponential back-off (a receiver's 429 `retry_after` wins); permanent refusals and
 * notifications older than 24 h are dropped. Per channel and alert, entries go out in order: a
 * resolved message never overtakes the firing one it resolves.
 *
 * While the state file cannot be written, an entry that is on disk is held: delivered then, its
 * removal could not be recorded and a restart would send it again. Held entries go out after the
 * next write that succeeds. An entry that never reached the disk goes out at once (a restart does
 * not know it), so alerts still go out while the disk is full or read-only.
 */
export class Outbox {
  private readonly o: Required<Omit<OutboxOptions, "onResult">> & Pick<OutboxOptions, "onResult">;
  private channels: Map<string, Channel>;
  /** Besides `onResult`: parts made after the outbox that follow its deliveries (the alert engine). */
  private readonly listeners: DeliveryListener[] = [];
  private readonly inFlight = new Set<string>();
  /** Entries (by id) queued by this process and not yet known on disk, with the store's mark when queued. */
  private readonly queuedAt = new Map<string, number>();
  private held = 0; // entries held last kick because the state file cannot be written
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly abort = new AbortController();
  /**
   * Monotonic due time of each entry this process has planned: a wall-clock step must neither hold
   * the queue back for the hour the clock went back nor make it wait on a stale `nextAttemptAt`.
   */
  private readonly dueMono = new Map<string, number>();

  constructor(options: OutboxOptions) {
    this.o = {
      baseBackoffMs: 5_000,
      maxBackoffMs: 10 * 60_000,
      maxRetryAfterMs: 3_600_000,
      expireAfterMs: 24 * 3_600_000,
      sendTimeoutMs: 15_000,
      clock: systemClock,
      ...options,
    };
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
  }

  /** A reload: the new channels. What is queued for a removed one is dropped at the next pass, logged ("channel removed"). */
  setChannels(channels: readonly Channel[]): void {
    this.channels = new Map(channels.map((c) => [c.name, c]));
    this.kick();
  }

  /** Adds a listener to every attempt's outcome, for a part that is made after the outbox. */
  listen(listener: DeliveryListener): void {
    this.listeners.push(listener);
  }

  private report(...outcome: Parameters<DeliveryListener>): void {
    this.o.onResult?.(...outcome);
    for (const listener of this.listeners) listener(...outcome);
  }

  get size(): number {
    return this.o.store.outbox.size;
  }

  /** The channels still owed a notification, per alert key (bot name or "monitor"): one pass over the outbox. */
  undelivered(): Map<string, string[]> {
    const byKey = new Map<string, string[]>();
    for (const { channel, message } of this.o.store.outbox.list()) {
      const channels = byKey.get(message.key);
      if (!channels) byKey.set(message.key, [channel]);
      else if (!channels.includes(channel)) channels.push(channel);
    }
    return byKey;
  }

  /** Queues `message` for every channel that accepts it and makes it durable. Returns the channels. */
  async enqueue(message: AlertMessage): Promise<string[]> {
    const entries = this.entriesFor(message);
    await this.add(entries);
    return entries.map((e) => e.channel);
  }

  /**
   * The entries `message` makes, one per channel that accepts it, queued nowhere yet: a caller that
   * changes state with them (AlertEngine) builds them first, so a failure here changes nothing.
   */
  entriesFor(message: AlertMessage): OutboxEntry[] {
    const now = this.o.clock.wall();
    return [...this.channels.values()]
      .filter((c) => c.accepts(message))
      .map((channel) => ({ id: randomUUID(), channel: channel.name, message, createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now }));
  }

  /**
   * Queues `entries` (from entriesFor) in this synchronous step, so they are in the same state write
   * as whatever the caller changed with them; resolves once that write was attempted, then delivers.
   */
  async add(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const mark = this.o.store.mark();
    for (const entry of entries) {
      this.queuedAt.set(entry.id, mark);
      this.dueMono.set(entry.id, this.o.clock.mono());
    }
    try {
      await this.o.store.outbox.add(entries);
    } catch (err) {
      // Queued in memory, and the store keeps retrying the write: not on disk, so it may go out all the same.
      this.o.logger.error({ err, alert: entries[0]!.message.key }, "notification queued, but the state file cannot be written yet");
    }
    this.kick();
  }

  start(): void {
    this.running = true;
    if (!this.unsubscribe) {
      const off = [this.o.store.onWritten(() => this.held > 0 && this.kick()), this.o.store.onOutboxArrived?.(() => this.kick())];
      this.unsubscribe = () => off.forEach((unsubscribe) => unsubscribe?.());
    }
    // Entries read from the file go out once this process has shown it can write there: at once.
    if (this.o.store.outbox.size > 0 && !this.o.store.writable) {
      this.o.store.touch().catch(() => undefined); // a failed write is reported by the store and retried
    }
    this.kick();
  }

  /** Stops delivering; attempts under way are abandoned and stay in the outbox for next time. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.abort.abort();
  }

  /**
   * Whether `entry` may be attempted now: always while the state file takes writes; otherwise only
   * when it never reached the disk, since a restart cannot send again what the file does not hold.
   */
  private deliverable(entry: OutboxEntry): boolean {
    if (this.o.store.writable) return true;
    const mark = this.queuedAt.get(entry.id);
    // Not queued by this process: read from the state file at start.
    if (mark === undefined) return false;
    if (!this.o.store.isOnDisk(mark)) return true;
    this.queuedAt.delete(entry.id);
    return false;
  }

  /** Delivers what is due now; schedules the next run at the earliest retry. */
  private kick(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.o.clock.wall();
    const blocked = new Set<string>();
    let held = 0;
    for (const entry of this.o.store.outbox.list()) {
      const lane = `${entry.channel}\u0000${entry.message.key}`;
      if (now - Date.parse(entry.createdAt) > this.o.expireAfterMs || !this.channels.has(entry.channel)) {
        this.remove(entry);
        this.report(entry.channel, entry.message.kind, "dropped", entry.message, { attempts: entry.attempts, error: entry.lastError ?? (this.channels.has(entry.channel) ? "not delivered in time" : "channel removed") });
        this.o.logger.error({ channel: entry.channel, alert: entry.message.key, kind: entry.message.kind, lastError: entry.lastError }, "notification dropped: not delivered in time or channel gone");
        continue;
      }
      if (blocked.has(lane)) continue;
      blocked.add(lane);
      if (this.inFlight.has(entry.id)) continue;
      // Held entries keep their lane: what follows them for the same alert waits too.
      if (!this.deliverable(entry)) held++;
      else if (this.waitOf(entry) <= 0) void this.attempt(entry);
    }
    if (held > 0 && held !== this.held) this.o.logger.warn({ held }, "notifications held until the state file can be written again (delivered now, a restart would repeat them)");
    this.held = held;
    // Held entries wait for a write to succeed (onWritten), not for a timer; expiry is checked then.
    const next = Math.min(...this.o.store.outbox.list().filter((e) => !this.inFlight.has(e.id) && this.deliverable(e)).map((e) => this.waitOf(e)));
    if (Number.isFinite(next)) this.timer = armTimer(() => this.kick(), Math.max(10, next));
  }

  /** Milliseconds until `entry` is due on the monotonic clock (≤ 0: due). */
  private waitOf(entry: OutboxEntry): number {
    let due = this.dueMono.get(entry.id);
    if (due === undefined) {
      // Queued by an earlier process: its wall-clock due time, never further off than the longest wait.
      const longest = Math.max(this.o.maxBackoffMs, this.o.maxRetryAfterMs);
      const wait = entry.nextAttemptAt - this.o.clock.wall();
      due = this.o.clock.mono() + Math.min(longest, Math.max(0, wait));
      this.dueMono.set(entry.id, due);
      // A due time further off than any wait (the wall clock went back) is stored as it will be kept.
      if (wait > longest) void this.o.store.outbox.update({ ...entry, nextAttemptAt: this.o.clock.wall() + longest });
    }
    return due - this.o.clock.mono();
  }

  /** Plans `entry`'s next attempt `waitMs` from now, on both clocks, and stores it. */
  private setDue(entry: OutboxEntry, waitMs: number): void {
    this.dueMono.set(entry.id, this.o.clock.mono() + waitMs);
    void this.o.store.outbox.update({ ...entry, nextAttemptAt: this.o.clock.wall() + waitMs });
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const channel = this.channels.get(entry.channel)!;
    this.inFlight.add(entry.id);
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.sendTimeoutMs)]);
    try {
      await channel.send(entry.message, signal);
      this.remove(entry);
      this.catchUp(entry.channel);
      this.report(entry.channel, entry.message.kind, "sent", entry.message, { attempts: entry.attempts + 1 });
      this.o.logger.info({ channel: entry.channel, alert: entry.message.key, kind: entry.message.kind, attempts: entry.attempts + 1 }, "notification sent");
    } catch (err) {
      if (!this.running) return;
      const error = err instanceof ChannelError ? err : new ChannelError(err instanceof Error ? err.message : String(err));
      const failed = { ...entry, attempts: entry.attempts + 1, lastError: redactSecrets(error.message) };
      if (error.permanent) {
        this.remove(entry);
        this.report(entry.channel, entry.message.kind, "dropped", entry.message, { attempts: failed.attempts, error: failed.lastError });
        this.o.logger.error({ channel: entry.channel, alert: entry.message.key, error: failed.lastError }, "notification refused by the channel; not retried");
      } else {
        const backoff = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** (failed.attempts - 1));
        // A receiver's Retry-After is honoured up to a bound: 3,000,000 s is a broken header, not a plan.
        const retryInMs = Math.max(backoff, Math.min(this.o.maxRetryAfterMs, error.retryAfterMs ?? 0));
        // Only while still queued (expiry may have dropped it meanwhile): the outbox writes it at once.
        if (this.o.store.outbox.get(entry.id)) this.setDue(failed, retryInMs);
        this.report(entry.channel, entry.message.kind, "failed", entry.message, { attempts: failed.attempts, error: failed.lastError });
        this.o.logger.warn({ channel: entry.channel, alert: entry.message.key, attempts: failed.attempts, retryInMs, error: failed.lastError }, "notification not delivered; will retry");
      }
    } finally {
      this.inFlight.delete(entry.id);
      this.kick();
    }
  }

  /**
   * The channel took a message, so it works again: what waits on a back-off for it is due now.
   * Otherwise a receiver that was down for an hour would get its backlog over the next ten minutes,
   * each entry at the end of a back-off grown while it was down. Order per alert still holds (kick).
   */
  private catchUp(channel: string): void {
    for (const e of this.o.store.outbox.list()) if (e.channel === channel && e.attempts > 0 && this.waitOf(e) > 0) this.setDue(e, 0);
  }

  /** Forgets `entry`: the outbox writes its removal at once, so a delivered entry is not sent twice after a crash. */
  private remove(entry: OutboxEntry): void {
    void this.o.store.outbox.remove(entry.id);
    this.dueMono.delete(entry.id);
    this.queuedAt.delete(entry.id);
  }
}
