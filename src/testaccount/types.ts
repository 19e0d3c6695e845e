/**
 * The test account behind the round-trip check: a Telegram *user* account (MTProto) that talks to a
 * bot owner's profile the way a customer would. Two implementations: mtcute against Telegram, and the
 * sandbox's simulated accounts for the demo and tests.
 */

export interface ReceivedMessage {
  /** Message id in the test account's chat with `from`. */
  messageId: number;
  /** User id of the sender (for Secretary replies: the profile owner). */
  from: number;
  text: string;
  date: Date;
}

export interface ExpectOptions {
  /** Only messages from this user id count. */
  from: number;
  /** Only messages for which this returns true count (e.g. text contains a nonce). */
  match?: (message: ReceivedMessage) => boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A pending wait; subscribe BEFORE causing the message, so a fast answer is never missed. */
export interface Expectation {
  /** Resolves with the first matching message; rejects with TestAccountTimeout or on abort. */
  readonly message: Promise<ReceivedMessage>;
  cancel(): void;
}

export interface TestAccount {
  /** The account's own user id (what the monitor's probe chats and outbound mode address). */
  readonly userId: number;
  /** Starts listening for a message; see Expectation. */
  expect(options: ExpectOptions): Expectation;
  /** Sends `text` to user `peer` (the bot owner's profile). */
  sendText(peer: number, text: string): Promise<{ messageId: number }>;
  /** Deletes the account's own messages in the chat with `peer` (cleanup after a probe). */
  deleteMessages(peer: number, messageIds: number[]): Promise<void>;
  close(): Promise<void>;
}

export class TestAccountTimeout extends Error {
  override readonly name = "TestAccountTimeout";
}
