/**
 * Private chats between user accounts, for the sandbox's simulated test account and Secretary backends.
 * As in Telegram (MTProto), each account numbers messages with its own counter, so one message has one id
 * in the sender's copy and another in the recipient's; deleting a message removes both copies ("for
 * everyone"). Messages an account receives are also kept as that account's updates (the latest 1000),
 * which a client reads with a long poll (`poll`) from an offset it tracks itself; reading confirms nothing,
 * so several clients of one account do not take each other's updates.
 */

/** One account's copy of a private message. */
export type ChatMessage = {
  /** In the account's own numbering (increasing within each chat). */
  messageId: number;
  from: number;
  to: number;
  text: string;
  /** Unix seconds. */
  date: number;
};

/** A message an account received, as its update queue hands it out. */
export type AccountUpdate = {
  updateId: number;
  message: { messageId: number; from: number; text: string; date: number };
};

type Copy = ChatMessage & { owner: number; deleted: boolean; siblings: Copy[] };

type Mailbox = {
  nextMessageId: number;
  chats: Map<number, Copy[]>;
  updates: { updateId: number; copy: Copy }[];
};

export type PollOptions = {
  /** Only updates with this id or a higher one. */
  offset?: number;
  /** How long to wait when nothing is pending (0 = answer at once). */
  timeoutMs?: number;
  signal?: AbortSignal;
};

/** Bounds for a long-running demo: the oldest messages of a chat and the oldest updates are dropped. */
const MAX_CHAT_MESSAGES = 1000;
const MAX_UPDATES = 1000;

export class Mailboxes {
  #boxes = new Map<number, Mailbox>();
  // Survive clear(): a client polling across a world reset keeps its offset meaningful.
  #nextUpdateId = 1;
  #waiters = new Map<number, Set<(force: boolean) => void>>();
  #closed = false;

  /** Forgets every chat and update; long polls stay open and see what arrives afterwards. */
  clear(): void {
    this.#boxes.clear();
  }

  /** Ends every long poll now (with what is pending) and any later one at once. */
  close(): void {
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const w of [...set]) w(true);
  }

  /** Delivers `text` from `from` to `to`: a copy in both accounts' chats, an update for the recipient. */
  deliver(from: number, to: number, text: string, date: number): { sent: ChatMessage; received: ChatMessage } {
    const siblings: Copy[] = [];
    const sent = this.#store(from, to, { from, to, text, date }, siblings);
    const received = from === to ? sent : this.#store(to, from, { from, to, text, date }, siblings);
    const box = this.#box(to);
    box.updates.push({ updateId: this.#nextUpdateId++, copy: received });
    if (box.updates.length > MAX_UPDATES) box.updates.splice(0, box.updates.length - MAX_UPDATES);
    for (const w of [...(this.#waiters.get(to) ?? [])]) w(false);
    return { sent: view(sent), received: view(received) };
  }

  /** The account's chat with `peer`, oldest first. */
  chat(account: number, peer: number): ChatMessage[] {
    return (this.#boxes.get(account)?.chats.get(peer) ?? []).map(view);
  }

  /**
   * Deletes messages (by the account's own ids) in its chat with `peer` for both sides; with `onlyFrom`,
   * only those that user sent. Returns the ids deleted; unknown ids are skipped.
   */
  delete(account: number, peer: number, messageIds: readonly number[], onlyFrom?: number): number[] {
    const chat = this.#boxes.get(account)?.chats.get(peer) ?? [];
    const doomed = chat.filter((m) => messageIds.includes(m.messageId) && (onlyFrom === undefined || m.from === onlyFrom));
    for (const copy of doomed) {
      for (const c of copy.siblings) {
        c.deleted = true;
        const list = this.#boxes.get(c.owner)?.chats.get(c.owner === c.from ? c.to : c.from);
        const i = list?.indexOf(c) ?? -1;
        if (i >= 0) list!.splice(i, 1);
      }
    }
    return doomed.map((m) => m.messageId);
  }

  /** Updates with id ≥ offset, of messages not deleted since. */
  pending(account: number, offset = 0): AccountUpdate[] {
    const box = this.#boxes.get(account);
    if (!box) return [];
    return box.updates
      .filter((u) => u.updateId >= offset && !u.copy.deleted)
      .map((u) => ({ updateId: u.updateId, message: { messageId: u.copy.messageId, from: u.copy.from, text: u.copy.text, date: u.copy.date } }));
  }

  /** Like pending(), but waits up to timeoutMs for an update to arrive when none is pending. */
  poll(account: number, { offset = 0, timeoutMs = 0, signal }: PollOptions = {}): Promise<AccountUpdate[]> {
    const now = this.pending(account, offset);
    if (now.length > 0 || timeoutMs <= 0 || this.#closed || signal?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const set = this.#waiters.get(account) ?? new Set();
      this.#waiters.set(account, set);
      const finish = () => {
        clearTimeout(timer);
        set.delete(waiter);
        if (set.size === 0 && this.#waiters.get(account) === set) this.#waiters.delete(account);
        signal?.removeEventListener("abort", onAbort);
        resolve(this.pending(account, offset));
      };
      const waiter = (force: boolean) => {
        if (force || this.pending(account, offset).length > 0) finish();
      };
      const onAbort = () => finish();
      const timer = setTimeout(finish, timeoutMs);
      timer.unref();
      set.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #box(account: number): Mailbox {
    let box = this.#boxes.get(account);
    if (!box) {
      box = { nextMessageId: 1, chats: new Map(), updates: [] };
      this.#boxes.set(account, box);
    }
    return box;
  }

  #store(owner: number, peer: number, message: Omit<ChatMessage, "messageId">, siblings: Copy[]): Copy {
    const box = this.#box(owner);
    const copy: Copy = { ...message, messageId: box.nextMessageId++, owner, deleted: false, siblings };
    siblings.push(copy);
    const chat = box.chats.get(peer) ?? [];
    box.chats.set(peer, chat);
    chat.push(copy);
    if (chat.length > MAX_CHAT_MESSAGES) chat.splice(0, chat.length - MAX_CHAT_MESSAGES);
    return copy;
  }
}

function view(c: Copy): ChatMessage {
  return { messageId: c.messageId, from: c.from, to: c.to, text: c.text, date: c.date };
}
