import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { StateStore } from "../store/state-store.ts";
import { ChannelError, type AlertMessage, type Channel } from "./types.ts";
import { redactSecrets } from "../redact.ts";

/** One notification to one channel, persisted until delivered, refused for good, or expired. */
export interface OutboxEntry {
  id: string;
  channel: string;
  message: AlertMessage;
  /** ISO time it was queued. */
  createdAt: string;
  attempts: number;
  /** Epoch ms of the next attempt. */
  nextAttemptAt: number;
  lastError?: string;
}

export type DeliveryResult = "sent" | "failed" | "dropped";

export interface OutboxOptions {
  store: StateStore;
  channels: readonly Channel[];
  logger: Logger;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Undelivered notifications are dropped after this long (README, "Alerts": 24 h). */
  expireAfterMs?: number;
  /** How long one delivery attempt may take. */
  sendTimeoutMs?: number;
  /** Counts every attempt's outcome: `failed` will be retried, `dropped` will not. */
  onResult?: (channel: string, kind: AlertMessage["kind"], result: DeliveryResult) => void;
  now?: () => number;
}

/**
 * The durable outbox (README, "Alerts"). `enqueue` writes the notification to the state file before
 * anything is sent, so a crash between deciding and delivering loses nothing; delivery runs on its
 * own timer, off the check path, so a slow mail server never delays a sweep. Failed attempts are
 * retried with exponential back-off (a receiver's 429 `retry_after` wins); permanent refusals and
 * notifications older than 24 h are dropped. Per channel and alert, entries go out in order: a
 * resolved message never overtakes the firing one it resolves.
 */
export class Outbox {
  private readonly o: Required<Omit<OutboxOptions, "onResult">> & Pick<OutboxOptions, "onResult">;
  private readonly channels: Map<string, Channel>;
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly abort = new AbortController();

  constructor(options: OutboxOptions) {
    this.o = {
      baseBackoffMs: 5_000,
      maxBackoffMs: 10 * 60_000,
      expireAfterMs: 24 * 3_600_000,
      sendTimeoutMs: 15_000,
      now: Date.now,
      ...options,
    };
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
  }

  get size(): number {
    return this.o.store.data.outbox.length;
  }

  /** Queues `message` for every channel that accepts it and makes it durable. Returns the channels. */
  async enqueue(message: AlertMessage): Promise<string[]> {
    const targets = [...this.channels.values()].filter((c) => c.accepts(message));
    if (targets.length === 0) return [];
    const now = this.o.now();
    for (const channel of targets)
      this.o.store.data.outbox.push({
        id: randomUUID(),
        channel: channel.name,
        message,
        createdAt: new Date(now).toISOString(),
        attempts: 0,
        nextAttemptAt: now,
      });
    this.o.store.changed();
    try {
      await this.o.store.flush();
    } catch (err) {
      // The entry is queued in memory and the store keeps retrying the write: deliver it all the same.
      this.o.logger.error({ err, alert: message.key }, "notification queued, but the state file cannot be written yet");
    }
    this.kick();
    return targets.map((c) => c.name);
  }

  start(): void {
    this.running = true;
    this.kick();
  }

  /** Stops delivering; attempts under way are abandoned and stay in the outbox for next time. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  /** Delivers what is due now; schedules the next run at the earliest retry. */
  private kick(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.o.now();
    const outbox = this.o.store.data.outbox;
    const blocked = new Set<string>();
    let expired = false;
    for (const entry of [...outbox]) {
      const lane = `${entry.channel}\u0000${entry.message.key}`;
      if (now - Date.parse(entry.createdAt) > this.o.expireAfterMs || !this.channels.has(entry.channel)) {
        this.remove(entry);
        expired = true;
        this.o.onResult?.(entry.channel, entry.message.kind, "dropped");
        this.o.logger.error({ channel: entry.channel, alert: entry.message.key, kind: entry.message.kind, lastError: entry.lastError }, "notification dropped: not delivered in time or channel gone");
        continue;
      }
      if (blocked.has(lane)) continue;
      blocked.add(lane);
      if (entry.nextAttemptAt <= now && !this.inFlight.has(entry.id)) void this.attempt(entry);
    }
    if (expired) this.o.store.changed();
    const next = Math.min(...this.o.store.data.outbox.filter((e) => !this.inFlight.has(e.id)).map((e) => e.nextAttemptAt));
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.kick(), Math.max(10, next - this.o.now()));
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const channel = this.channels.get(entry.channel)!;
    this.inFlight.add(entry.id);
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.sendTimeoutMs)]);
    try {
      await channel.send(entry.message, signal);
      this.remove(entry);
      this.catchUp(entry.channel);
      this.o.onResult?.(entry.channel, entry.message.kind, "sent");
      this.o.logger.info({ channel: entry.channel, alert: entry.message.key, kind: entry.message.kind, attempts: entry.attempts + 1 }, "notification sent");
    } catch (err) {
      if (!this.running) return;
      const error = err instanceof ChannelError ? err : new ChannelError(err instanceof Error ? err.message : String(err));
      entry.attempts++;
      entry.lastError = redactSecrets(error.message);
      if (error.permanent) {
        this.remove(entry);
        this.o.onResult?.(entry.channel, entry.message.kind, "dropped");
        this.o.logger.error({ channel: entry.channel, alert: entry.message.key, error: entry.lastError }, "notification refused by the channel; not retried");
      } else {
        const backoff = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** (entry.attempts - 1));
        entry.nextAttemptAt = this.o.now() + Math.max(backoff, error.retryAfterMs ?? 0);
        this.o.onResult?.(entry.channel, entry.message.kind, "failed");
        this.o.logger.warn({ channel: entry.channel, alert: entry.message.key, attempts: entry.attempts, retryInMs: entry.nextAttemptAt - this.o.now(), error: entry.lastError }, "notification not delivered; will retry");
      }
    } finally {
      this.inFlight.delete(entry.id);
      // Written at once, not batched: a delivered entry that survived a crash would be sent twice.
      this.o.store.changed();
      this.o.store.flush().catch(() => undefined); // a failed write is reported by the store and retried
      this.kick();
    }
  }

  /**
   * The channel took a message, so it works again: what waits on a back-off for it is due now.
   * Otherwise a receiver that was down for an hour would get its backlog over the next ten minutes,
   * each entry at the end of a back-off grown while it was down. Order per alert still holds (kick).
   */
  private catchUp(channel: string): void {
    const now = this.o.now();
    for (const e of this.o.store.data.outbox) if (e.channel === channel && e.attempts > 0 && e.nextAttemptAt > now) e.nextAttemptAt = now;
  }

  private remove(entry: OutboxEntry): void {
    const outbox = this.o.store.data.outbox;
    const i = outbox.indexOf(entry);
    if (i >= 0) outbox.splice(i, 1);
  }
}
