/**
 * The world's users as Telegram accounts: only a user of the world can act as one, and a message to a
 * user who is not in it is refused as Telegram would. Their private chats are mailboxes.ts; what a
 * business bot sends through a connection lands there too, in the chat of the profile it serves.
 */
import { Mailboxes } from "./mailboxes.ts";
import type { AccountUpdate, ChatMessage, PollOptions } from "./mailboxes.ts";
import { WorldError } from "./world-load.ts";
import { MAX_MESSAGE_LENGTH } from "./world-schema.ts";
import type { UserSpec } from "./world-schema.ts";

export class UserAccounts {
  readonly #users: () => readonly UserSpec[];
  readonly #mail = new Mailboxes();

  /** `users` is read at each call: a world reset replaces the list. */
  constructor(users: () => readonly UserSpec[]) {
    this.#users = users;
  }

  find(id: number): UserSpec | undefined {
    return this.#users().find((u) => u.id === id);
  }

  /** A known user, or 404. */
  get(id: number): UserSpec {
    const user = this.find(id);
    if (!user) throw new WorldError(404, `no user with id ${id}`);
    return user;
  }

  /** User `from` writes `text` to user `peer` at `date`; returns the sender's message id. */
  send(from: number, peer: number, text: string, date: number): number {
    this.get(from);
    if (!Number.isSafeInteger(peer) || !this.find(peer)) throw new WorldError(400, `peer: no user with id ${peer}`);
    if (peer === from) throw new WorldError(400, "peer: an account cannot write to itself");
    if (text.trim() === "") throw new WorldError(400, "text: must not be empty");
    if (text.length > MAX_MESSAGE_LENGTH) throw new WorldError(400, `text: longer than ${MAX_MESSAGE_LENGTH} characters`);
    return this.#mail.deliver(from, peer, text, date).sent.messageId;
  }

  /** A business message from profile `owner` to `chatId` (the caller checked rights and scope); its id in the owner's chat. */
  sendAsProfile(owner: number, chatId: number, text: string, date: number): number {
    return this.#mail.deliver(owner, chatId, text, date).sent.messageId;
  }

  /** Deletes messages the profile `owner` sent to `chatId` (its ids), for both sides. */
  unsendAsProfile(owner: number, chatId: number, messageIds: readonly number[]): void {
    this.#mail.delete(owner, chatId, messageIds, owner);
  }

  poll(userId: number, options: PollOptions): Promise<AccountUpdate[]> {
    this.get(userId);
    return this.#mail.poll(userId, options);
  }

  chat(userId: number, peer: number): ChatMessage[] {
    this.get(userId);
    return this.#mail.chat(userId, peer);
  }

  /** Only the account's own messages go; returns the ids deleted. */
  deleteOwn(userId: number, peer: number, messageIds: readonly number[]): number[] {
    this.get(userId);
    return this.#mail.delete(userId, peer, messageIds, userId);
  }

  /** Forgets every chat; long polls stay open. */
  clear(): void {
    this.#mail.clear();
  }

  /** Ends every long poll now. */
  close(): void {
    this.#mail.close();
  }
}
