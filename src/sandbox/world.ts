/**
 * The mutable `World` the simulated Bot API reads and the control API (or an in-process test) changes:
 * users, bots and their connections, armed faults, counted calls, sent messages and the users' chats.
 * Its schema is world-schema.ts, reading one is world-load.ts (re-exported here: this is the sandbox's
 * entry point), who answers a profile's messages is secretary.ts; the control API's view of it is
 * world-view.ts, the Bot API's wire formats are bot-api*.ts.
 */
import { BotIndex } from "./bot-index.ts";
import { FaultBook } from "./fault-book.ts";
import type { Fault, FaultPlan } from "./faults.ts";
import type { AccountUpdate, ChatMessage, PollOptions } from "./mailboxes.ts";
import { SecretaryBackends, findSecretary } from "./secretary.ts";
import type { Secretary } from "./secretary.ts";
import { CallLog, SentMessages } from "./traffic.ts";
import type { CallCount } from "./traffic.ts";
import { UserAccounts } from "./user-accounts.ts";
import { WorldError, validate } from "./world-load.ts";
import { botPatchSchema, botSchema, connectionPatchSchema, connectionSchema, queuedUpdatesSchema } from "./world-schema.ts";
import type { PendingUpdate, UserSpec, WorldSpec } from "./world-schema.ts";
import { botState, connectionState, lastErrorDate, patchedWebhook, toRights } from "./world-state.ts";
import type { BotState, ConnectionState, SentMessage } from "./world-state.ts";

// What tests and tools read a world with, so that they need only this module.
export { loadWorldFile, parseWorld } from "./world-load.ts";
export { DEFAULT_BACKEND_TEXT } from "./world-schema.ts";
export type { WorldInput, WorldSpec } from "./world-schema.ts";
export type { SentMessage } from "./world-state.ts";
export type WorldOptions = { /** Unix seconds; injectable for tests. */ now?: () => number };

const systemNow = () => Math.floor(Date.now() / 1000);

export class World {
  readonly #initial: WorldSpec;
  readonly #now: () => number;
  latencyMs = 0;
  users: UserSpec[] = [];
  bots: BotState[] = [];
  readonly #index = new BotIndex();
  readonly #faults = new FaultBook();
  readonly #calls = new CallLog();
  readonly #sent = new SentMessages();
  #nextUpdateId = 1;
  readonly #accounts = new UserAccounts(() => this.users);
  readonly #backends = new SecretaryBackends(this);

  constructor(spec: WorldSpec, options: WorldOptions = {}) {
    this.#initial = structuredClone(spec);
    this.#now = options.now ?? systemNow;
    this.reset();
  }

  now(): number {
    return this.#now();
  }

  /** Back to the world the sandbox started with; calls, messages and faults too. */
  reset(): void {
    const spec = structuredClone(this.#initial);
    this.latencyMs = spec.latencyMs;
    this.users = spec.users;
    this.bots = spec.bots.map((b) => botState(b, this.now()));
    this.#faults.reset();
    for (const f of spec.faults) this.addFault(f);
    this.#calls.clear();
    this.#sent.reset();
    this.#nextUpdateId = 1;
    this.#accounts.clear();
    this.#backends.cancel();
  }

  /** The sandbox is stopping: pending backend answers are dropped and account long polls end now. */
  close(): void {
    this.#backends.close();
    this.#accounts.close();
  }

  // ---------- reads ----------

  findBotByToken(token: string): BotState | undefined {
    return this.#index.byToken(this.bots, token);
  }

  getBot(username: string): BotState {
    const bot = this.bots.find((b) => b.username.toLowerCase() === username.toLowerCase());
    if (!bot) throw new WorldError(404, `no bot with username "${username}"`);
    return bot;
  }

  findConnection(id: string): { bot: BotState; connection: ConnectionState } | undefined {
    return this.#index.byConnection(this.bots, id);
  }

  getConnection(username: string, id: string): ConnectionState {
    const connection = this.getBot(username).connections.find((c) => c.id === id);
    if (!connection) throw new WorldError(404, `bot "${username}" has no connection "${id}"`);
    return connection;
  }

  findUser(id: number): UserSpec | undefined {
    return this.#accounts.find(id);
  }

  /** The latest delivery error, following errorEverySeconds when delivery keeps failing. */
  lastErrorDate(bot: BotState): number | null {
    return lastErrorDate(bot.webhook, this.now());
  }

  // ---------- bots and connections ----------

  addBot(input: unknown): BotState {
    const spec = validate(botSchema, input, "body");
    const bot = botState(spec, this.now());
    if (this.bots.some((b) => b.token === bot.token)) throw new WorldError(400, "token: already used by another bot");
    if (this.bots.some((b) => b.id === bot.id)) throw new WorldError(400, `id: a bot with id ${bot.id} already exists`);
    this.#assertFreeUsername(bot.username);
    bot.connections.forEach((c, i) => this.#assertFreeConnectionId(c.id, `connections[${i}].id`));
    this.bots.push(bot);
    return bot;
  }

  /** Any of: revoked, canConnectToBusiness, username, firstName, environment, starBalance, webhook, backend (both partial). */
  updateBot(username: string, input: unknown): BotState {
    const bot = this.getBot(username);
    const patch = validate(botPatchSchema, input, "body");
    const { webhook: webhookPatch, backend: backendPatch, ...fields } = patch;
    const webhook = webhookPatch ? patchedWebhook(bot.webhook, webhookPatch, this.now()) : bot.webhook;
    if (fields.username !== undefined && fields.username.toLowerCase() !== bot.username.toLowerCase()) {
      this.#assertFreeUsername(fields.username);
    }
    Object.assign(bot, fields, { webhook, backend: { ...bot.backend, ...backendPatch } });
    return bot;
  }

  removeBot(username: string): void {
    const bot = this.getBot(username);
    this.bots = this.bots.filter((b) => b !== bot);
  }

  addConnection(username: string, input: unknown): ConnectionState {
    const bot = this.getBot(username);
    const connection = connectionState(validate(connectionSchema, input, "body"), this.now());
    this.#assertFreeConnectionId(connection.id, "id");
    bot.connections.push(connection);
    return connection;
  }

  /** Any of: isEnabled, userId, date, rights (merged; false removes), excludedChats, recentInbound. */
  updateConnection(username: string, id: string, input: unknown): ConnectionState {
    const connection = this.getConnection(username, id);
    const { rights, ...fields } = validate(connectionPatchSchema, input, "body");
    Object.assign(connection, fields);
    if (rights) connection.rights = toRights(rights, connection.rights);
    return connection;
  }

  removeConnection(username: string, id: string): void {
    const bot = this.getBot(username);
    const connection = this.getConnection(username, id);
    bot.connections = bot.connections.filter((c) => c !== connection);
  }

  #assertFreeUsername(username: string): void {
    if (this.bots.some((b) => b.username.toLowerCase() === username.toLowerCase())) {
      throw new WorldError(400, `username: a bot named "${username}" already exists`);
    }
  }

  #assertFreeConnectionId(id: string, path: string): void {
    if (this.findConnection(id)) throw new WorldError(400, `${path}: connection "${id}" already exists`);
  }

  // ---------- faults ----------

  addFault(input: unknown): Fault {
    return this.#faults.add(input);
  }

  faults(): Fault[] {
    return this.#faults.list();
  }

  removeFault(id: string): void {
    this.#faults.remove(id);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** What the faults do to this call; spends one `count` of each fault that took effect. */
  takeFaults(bot: string | null, method: string): FaultPlan {
    return this.#faults.take(bot, method);
  }

  // ---------- calls, messages, updates ----------

  recordCall(bot: string | null, method: string): void {
    this.#calls.record(bot, method);
  }

  calls(): CallCount[] {
    return this.#calls.list();
  }

  /** Calls to one method (case-insensitive), optionally for one bot. */
  callCount(method: string, bot?: string | null): number {
    return this.#calls.count(method, bot);
  }

  clearCalls(): void {
    this.#calls.clear();
  }

  /** `messageId` is given for a business message: the id it got in the owner's chat (see deliverBusinessMessage). */
  recordMessage(message: Omit<SentMessage, "messageId" | "date"> & { messageId?: number }): SentMessage {
    return this.#sent.record(message, this.now());
  }

  messages(): SentMessage[] {
    return this.#sent.list();
  }

  clearMessages(): void {
    this.#sent.clear();
  }

  /** Removes messages a bot sent through a business connection, from the outbox and from both sides of the chat. */
  deleteMessages(bot: string, businessConnectionId: string, messageIds: readonly number[]): void {
    const removed = this.#sent.remove((m) => m.bot === bot && m.businessConnectionId === businessConnectionId && messageIds.includes(m.messageId));
    const owner = this.findConnection(businessConnectionId)?.connection.userId;
    if (owner !== undefined) for (const m of removed) this.#accounts.unsendAsProfile(owner, m.chatId, [m.messageId]);
  }

  /** Queues updates for a bot (messages arriving, taken or not by its poller); returns how many wait now. */
  queueUpdates(username: string, input: unknown): number {
    const bot = this.getBot(username);
    bot.pendingUpdates.push(...validate(queuedUpdatesSchema, input, "body").updates);
    return bot.pendingUpdates.length;
  }

  /** Hands out a bot's pending updates (numbered) and forgets them, as confirmed getUpdates would. */
  takeUpdates(bot: BotState): { updateId: number; update: PendingUpdate }[] {
    const taken = bot.pendingUpdates.map((update) => ({ updateId: this.#nextUpdateId++, update }));
    bot.pendingUpdates = [];
    return taken;
  }

  // ---------- user accounts and Secretary backends ----------

  /** A known user, or 404: only users of the world can act as accounts. */
  getUser(id: number): UserSpec {
    return this.#accounts.get(id);
  }

  /**
   * User `from` writes `text` to user `peer` (e.g. the test account to a bot owner's profile); what the
   * bots serving `peer` make of it is SecretaryBackends.written. Returns the sender's message id.
   */
  sendAccountMessage(from: number, peer: number, text: string): { messageId: number } {
    const messageId = this.#accounts.send(from, peer, text, this.now());
    this.#backends.written(from, peer);
    return { messageId };
  }

  /** See findSecretary (secretary.ts). */
  secretaryFor(profile: number, sender: number): Secretary {
    return findSecretary(this.bots, profile, sender, this.now());
  }

  /**
   * A bot's business message lands in the chat between the connection's owner and `chatId` (the caller
   * checked rights and scope). Returns the message id in the owner's chat, which is what the bot sees.
   */
  deliverBusinessMessage(connection: ConnectionState, chatId: number, text: string): number {
    return this.#accounts.sendAsProfile(connection.userId, chatId, text, this.now());
  }

  /** Messages the account received with updateId ≥ offset, waiting up to timeoutMs for one. */
  pollAccount(userId: number, options: PollOptions = {}): Promise<AccountUpdate[]> {
    return this.#accounts.poll(userId, options);
  }

  /** The account's chat with `peer`, oldest first, in the account's message numbering. */
  accountChat(userId: number, peer: number): ChatMessage[] {
    return this.#accounts.chat(userId, peer);
  }

  /** Deletes the account's own messages (its ids) in the chat with `peer`, for both sides; returns the ids deleted. */
  deleteAccountMessages(userId: number, peer: number, messageIds: readonly number[]): number[] {
    return this.#accounts.deleteOwn(userId, peer, messageIds);
  }
}
