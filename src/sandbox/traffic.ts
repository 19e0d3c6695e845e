/**
 * What the bots did through the sandbox's Bot API: every call counted by bot and method (how a test sees
 * that the monitor never called getUpdates), and every message sent (how it sees what a channel wrote).
 */
import type { SentMessage } from "./world-state.ts";

export type CallCount = { bot: string | null; method: string; count: number };

export class CallLog {
  #calls = new Map<string, CallCount>();

  /** `bot` is null for a call whose token matches no bot. */
  record(bot: string | null, method: string): void {
    const key = `${bot ?? ""}\u0000${method}`;
    const entry = this.#calls.get(key) ?? { bot, method, count: 0 };
    entry.count += 1;
    this.#calls.set(key, entry);
  }

  list(): CallCount[] {
    return [...this.#calls.values()].map((c) => ({ ...c }));
  }

  /** Calls to one method (case-insensitive), optionally for one bot. */
  count(method: string, bot?: string | null): number {
    return this.list()
      .filter((c) => c.method.toLowerCase() === method.toLowerCase() && (bot === undefined || c.bot === bot))
      .reduce((n, c) => n + c.count, 0);
  }

  clear(): void {
    this.#calls.clear();
  }
}

/** Messages the bots sent with sendMessage, in order; ids count up unless the caller gives one. */
export class SentMessages {
  #messages: SentMessage[] = [];
  #nextId = 1;

  /** `date` is Unix seconds; `messageId` is given for a business message (its id in the owner's chat). */
  record(message: Omit<SentMessage, "messageId" | "date"> & { messageId?: number }, date: number): SentMessage {
    const sent = { ...message, messageId: message.messageId ?? this.#nextId++, date };
    this.#messages.push(sent);
    return sent;
  }

  list(): SentMessage[] {
    return this.#messages.map((m) => ({ ...m }));
  }

  clear(): void {
    this.#messages = [];
  }

  /** Empty, and numbering from 1 again. */
  reset(): void {
    this.#messages = [];
    this.#nextId = 1;
  }

  /** Forgets the messages `doomed` picks; returns them. */
  remove(doomed: (m: SentMessage) => boolean): SentMessage[] {
    const removed = this.#messages.filter(doomed);
    this.#messages = this.#messages.filter((m) => !doomed(m));
    return removed;
  }
}
