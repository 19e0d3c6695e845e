/**
 * The sandbox world: the schema of a world file, its loader, and the mutable `World` the simulated
 * Bot API reads and the control API (or an in-process test) changes. Telegram wire formats live in
 * bot-api.ts; this file only knows state.
 */
import { readFileSync } from "node:fs";
import { maskToken } from "../redact.ts";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { faultSchema, planFaults } from "./faults.ts";
import type { Fault, FaultPlan } from "./faults.ts";
import { Mailboxes } from "./mailboxes.ts";
import { RIGHTS } from "../telegram/rights.ts";
import type { AccountUpdate, ChatMessage, PollOptions } from "./mailboxes.ts";

/** Business bot rights by their wire names: the same list the monitor reads (src/telegram/rights.ts). */
export const RIGHT_NAMES = RIGHTS;
export type RightName = (typeof RIGHT_NAMES)[number];
export type Rights = Partial<Record<RightName, true>>;

export const TOKEN_SYNTAX = /^\d+:[A-Za-z0-9_-]+$/;
// The shape of a real BotFather token; a sandbox world must never hold one.
const REAL_TOKEN_SHAPE = /^\d{8,10}:AA[A-Za-z0-9_-]{33}$/;

/** An error with the HTTP status the control API should answer with. */
export class WorldError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "WorldError";
    this.status = status;
  }
}

// ---------- schema ----------

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const chatIds = z.array(z.number().int());
const rightsInput = z.partialRecord(z.enum(RIGHT_NAMES), z.boolean());

const userSchema = z
  .object({ id: posInt, firstName: z.string().min(1), lastName: z.string().min(1).optional(), username: z.string().min(1).optional() })
  .strict();

const webhookFields = {
  /** "" = the bot polls with getUpdates. */
  url: z.string().refine((u) => u === "" || u.startsWith("https://"), 'must be "" (polling) or an https:// URL'),
  pendingUpdateCount: nonNegInt,
  /** Converted to an absolute lastErrorDate when loaded (or patched). */
  lastErrorSecondsAgo: nonNegInt.nullable(),
  /** Unix seconds. */
  lastErrorDate: posInt.nullable(),
  lastErrorMessage: z.string().min(1).nullable(),
  /** Delivery keeps failing: a new error every N seconds after lastErrorDate (keeps a long-running demo broken). */
  errorEverySeconds: posInt.nullable(),
  allowedUpdates: z.array(z.string().min(1)).nullable(),
  maxConnections: z.number().int().min(1).max(100).nullable(),
  ipAddress: z.string().min(1).nullable(),
};
const webhookPatchSchema = z.object(webhookFields).partial().strict();
const webhookSchema = z
  .object({
    url: webhookFields.url.default(""),
    pendingUpdateCount: webhookFields.pendingUpdateCount.default(0),
    lastErrorSecondsAgo: webhookFields.lastErrorSecondsAgo.default(null),
    lastErrorDate: webhookFields.lastErrorDate.default(null),
    lastErrorMessage: webhookFields.lastErrorMessage.default(null),
    errorEverySeconds: webhookFields.errorEverySeconds.default(null),
    allowedUpdates: webhookFields.allowedUpdates.default(null),
    maxConnections: webhookFields.maxConnections.default(null),
    ipAddress: webhookFields.ipAddress.default(null),
  })
  .strict();

const connectionFields = {
  id: z.string().min(1),
  /** The Telegram Business profile (user id) the bot is attached to. */
  userId: posInt,
  date: posInt,
  isEnabled: z.boolean(),
  rights: rightsInput,
  /** User ids outside the bot's chat accessibility scope. */
  excludedChats: chatIds,
  /** User ids that wrote to the profile recently (others → BUSINESS_PEER_USAGE_MISSING). */
  recentInbound: chatIds,
};
const connectionSchema = z
  .object({
    id: connectionFields.id,
    userId: connectionFields.userId,
    date: connectionFields.date.optional(),
    isEnabled: connectionFields.isEnabled.default(true),
    rights: connectionFields.rights.default({}),
    excludedChats: connectionFields.excludedChats.default([]),
    recentInbound: connectionFields.recentInbound.default([]),
  })
  .strict();
const connectionPatchSchema = z.object(connectionFields).omit({ id: true }).partial().strict();

export const DEFAULT_BACKEND_TEXT = "Thanks for your message! We'll get back to you soon.";
/** Longest text a private message may have (as in Telegram). */
export const MAX_MESSAGE_LENGTH = 4096;

/** The bot's simulated Secretary backend: how it answers a message written to the profile it serves. */
const backendFields = {
  /** false = a silent backend: every API check passes, but no answer ever comes. */
  replies: z.boolean(),
  delayMs: z.number().int().nonnegative().max(600_000),
  text: z.string().min(1).max(MAX_MESSAGE_LENGTH),
};
const backendSchema = z
  .object({
    replies: backendFields.replies.default(true),
    delayMs: backendFields.delayMs.default(300),
    text: backendFields.text.default(DEFAULT_BACKEND_TEXT),
  })
  .strict();

/** A pending update: a raw Telegram Update, or `{businessConnection: id}` rendered from the world when read. */
const updateSchema = z.union([
  z.object({ businessConnection: z.string().min(1) }).strict(),
  z.record(z.string(), z.unknown()),
]);

const botFields = {
  username: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "letters, digits and _ only"),
  firstName: z.string().min(1),
  environment: z.enum(["prod", "test"]),
  canConnectToBusiness: z.boolean(),
  revoked: z.boolean(),
  starBalance: nonNegInt,
};
const botSchema = z
  .object({
    token: z.string(),
    /** Defaults to the token's numeric prefix, and must equal it. */
    id: posInt.optional(),
    username: botFields.username,
    firstName: botFields.firstName,
    environment: botFields.environment.default("prod"),
    canConnectToBusiness: botFields.canConnectToBusiness.default(true),
    revoked: botFields.revoked.default(false),
    canJoinGroups: z.boolean().default(true),
    canReadAllGroupMessages: z.boolean().default(false),
    supportsInlineQueries: z.boolean().default(false),
    hasMainWebApp: z.boolean().default(false),
    webhook: webhookSchema.prefault({}),
    starBalance: botFields.starBalance.default(0),
    backend: backendSchema.prefault({}),
    connections: z.array(connectionSchema).default([]),
    pendingUpdates: z.array(updateSchema).default([]),
  })
  .strict()
  .superRefine((bot, ctx) => {
    if (!TOKEN_SYNTAX.test(bot.token)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: "must look like <digits>:<letters, digits, _ or ->" });
      return;
    }
    if (REAL_TOKEN_SHAPE.test(bot.token)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: "has the shape of a real BotFather token; use a fake one" });
    }
    if (bot.id !== undefined && String(bot.id) !== bot.token.split(":")[0]) {
      ctx.addIssue({ code: "custom", path: ["id"], message: "must equal the token's numeric prefix" });
    }
    for (const p of webhookProblems(bot.webhook)) {
      ctx.addIssue({ code: "custom", path: ["webhook", p.key], message: p.message });
    }
  });
const botPatchSchema = z
  .object({ ...botFields, webhook: webhookPatchSchema, backend: z.object(backendFields).partial().strict() })
  .partial()
  .strict();

export const worldSchema = z
  .object({
    /** Added to every Bot API call. */
    latencyMs: nonNegInt.default(0),
    users: z.array(userSchema).default([]),
    bots: z.array(botSchema).default([]),
    faults: z.array(faultSchema).default([]),
  })
  .strict()
  .superRefine((world, ctx) => {
    const dup = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    uniqueBy(world.users, (u) => String(u.id), (i) => dup(["users", i, "id"], "duplicate user id"));
    uniqueBy(world.bots, (b) => b.token, (i) => dup(["bots", i, "token"], "duplicate token"));
    uniqueBy(world.bots, (b) => b.username.toLowerCase(), (i) => dup(["bots", i, "username"], "duplicate username"));
    uniqueBy(world.bots, (b) => b.token.split(":")[0] ?? "", (i) => dup(["bots", i, "id"], "duplicate bot id"));
    const conns = world.bots.flatMap((b, bi) => b.connections.map((c, ci) => ({ id: c.id, bi, ci })));
    uniqueBy(conns, (c) => c.id, (i) => dup(["bots", conns[i]!.bi, "connections", conns[i]!.ci, "id"], "duplicate connection id"));
  });

export type WorldSpec = z.output<typeof worldSchema>;
export type WorldInput = z.input<typeof worldSchema>;
export type BotSpec = z.output<typeof botSchema>;
export type UserSpec = z.output<typeof userSchema>;
export type PendingUpdate = z.output<typeof updateSchema>;

/** Cross-field rules of a webhook (or a webhook patch), as key → message. */
function webhookProblems(w: z.output<typeof webhookPatchSchema>): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  if (w.lastErrorDate != null && w.lastErrorSecondsAgo != null) {
    problems.push({ key: "lastErrorDate", message: "give lastErrorDate or lastErrorSecondsAgo, not both" });
  }
  if ((w.lastErrorDate != null || w.lastErrorSecondsAgo != null) && w.lastErrorMessage == null) {
    problems.push({ key: "lastErrorMessage", message: "required when a last error is set" });
  }
  return problems;
}

function uniqueBy<T>(items: readonly T[], key: (t: T) => string, onDup: (index: number) => void): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) onDup(i);
    seen.add(k);
  });
}

/** `bots[0].webhook.url: …`, one issue per unknown key; `root` names an empty path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], root = "world"): string {
  return issues
    .flatMap((issue) => {
      const at = keyPath(issue.path);
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => `${keyPath([...issue.path, k])}: unknown key`);
      }
      return [`${at || root}: ${issue.message}`];
    })
    .join("; ");
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}

function validate<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new WorldError(400, formatIssues(r.error.issues, root));
  return r.data;
}

/** Validates a world (already parsed from YAML/JSON); throws WorldError listing every key path at fault. */
export function parseWorld(input: unknown): WorldSpec {
  return validate(worldSchema, input, "world");
}

export function loadWorldFile(path: string): WorldSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new WorldError(400, `${path}: cannot read world file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new WorldError(400, `${path}: invalid YAML: ${(err as Error).message}`);
  }
  try {
    return parseWorld(doc ?? {});
  } catch (err) {
    throw new WorldError(400, `${path}: ${(err as Error).message}`);
  }
}


// ---------- state ----------

export type WebhookState = Omit<z.output<typeof webhookSchema>, "lastErrorSecondsAgo">;
export type ConnectionState = {
  id: string;
  userId: number;
  date: number;
  isEnabled: boolean;
  rights: Rights;
  excludedChats: number[];
  recentInbound: number[];
};
export type BotState = Omit<BotSpec, "id" | "webhook" | "connections"> & {
  id: number;
  webhook: WebhookState;
  connections: ConnectionState[];
};
export type SentMessage = {
  bot: string;
  chatId: number;
  /** As sent (HTML still escaped), so tests can check escaping. */
  text: string;
  /** What the recipient sees (tags stripped, entities decoded). */
  renderedText: string;
  parseMode: string | null;
  messageThreadId: number | null;
  businessConnectionId: string | null;
  messageId: number;
  date: number;
};
export type CallCount = { bot: string | null; method: string; count: number };
export type { AccountUpdate, ChatMessage, PollOptions };
/** Who answers a message written to a profile: a bot's backend, or nobody and why. */
export type Secretary = { bot: BotState; connection: ConnectionState } | { silent: string };
/** A webhook error this recent means the bot is not getting its updates (so it cannot answer). */
export const WEBHOOK_ERROR_WINDOW_SECONDS = 60;
export type WorldOptions = { /** Unix seconds; injectable for tests. */ now?: () => number };

const systemNow = () => Math.floor(Date.now() / 1000);

function toRights(input: Partial<Record<RightName, boolean>>, base: Rights = {}): Rights {
  const out: Rights = { ...base };
  for (const name of RIGHT_NAMES) {
    if (input[name] === true) out[name] = true;
    if (input[name] === false) delete out[name];
  }
  return out;
}

export class World {
  readonly #initial: WorldSpec;
  readonly #now: () => number;
  latencyMs = 0;
  users: UserSpec[] = [];
  bots: BotState[] = [];
  #faults: Fault[] = [];
  #nextFaultId = 1;
  #calls = new Map<string, CallCount>();
  #messages: SentMessage[] = [];
  #nextMessageId = 1;
  #nextUpdateId = 1;
  readonly #mail = new Mailboxes();
  #backendTimers = new Set<NodeJS.Timeout>();
  #closed = false;

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
    this.bots = spec.bots.map((b) => this.#botState(b));
    this.#faults = [];
    this.#nextFaultId = 1;
    for (const f of spec.faults) this.addFault(f);
    this.#calls.clear();
    this.#messages = [];
    this.#nextMessageId = 1;
    this.#nextUpdateId = 1;
    this.#mail.clear();
    this.#cancelBackendAnswers();
  }

  /** The sandbox is stopping: pending backend answers are dropped and account long polls end now. */
  close(): void {
    this.#closed = true;
    this.#cancelBackendAnswers();
    this.#mail.close();
  }

  #botState(b: BotSpec): BotState {
    const { lastErrorSecondsAgo, ...webhook } = b.webhook;
    if (lastErrorSecondsAgo !== null) webhook.lastErrorDate = this.now() - lastErrorSecondsAgo;
    return {
      ...b,
      id: Number(b.token.split(":")[0]),
      webhook,
      connections: b.connections.map((c) => this.#connectionState(c)),
    };
  }

  #connectionState(c: z.output<typeof connectionSchema>): ConnectionState {
    return { ...c, date: c.date ?? this.now(), rights: toRights(c.rights) };
  }

  // ---------- reads ----------

  /** The world as JSON with every token masked (what GET /_sandbox/world shows). */
  snapshot(): unknown {
    return {
      latencyMs: this.latencyMs,
      users: this.users,
      bots: this.bots.map((b) => this.botView(b)),
      faults: this.faults(),
    };
  }

  botView(b: BotState): unknown {
    return { ...structuredClone(b), token: maskToken(b.token), webhook: { ...b.webhook, lastErrorDate: this.lastErrorDate(b) } };
  }

  findBotByToken(token: string): BotState | undefined {
    return this.bots.find((b) => b.token === token);
  }

  getBot(username: string): BotState {
    const bot = this.bots.find((b) => b.username.toLowerCase() === username.toLowerCase());
    if (!bot) throw new WorldError(404, `no bot with username "${username}"`);
    return bot;
  }

  findConnection(id: string): { bot: BotState; connection: ConnectionState } | undefined {
    for (const bot of this.bots) {
      const connection = bot.connections.find((c) => c.id === id);
      if (connection) return { bot, connection };
    }
    return undefined;
  }

  getConnection(username: string, id: string): ConnectionState {
    const connection = this.getBot(username).connections.find((c) => c.id === id);
    if (!connection) throw new WorldError(404, `bot "${username}" has no connection "${id}"`);
    return connection;
  }

  findUser(id: number): UserSpec | undefined {
    return this.users.find((u) => u.id === id);
  }

  /** The latest delivery error, following errorEverySeconds when delivery keeps failing. */
  lastErrorDate(bot: BotState): number | null {
    const { lastErrorDate: first, errorEverySeconds: every } = bot.webhook;
    if (first === null || every === null) return first;
    const now = this.now();
    return now <= first ? first : first + Math.floor((now - first) / every) * every;
  }

  // ---------- bots and connections ----------

  addBot(input: unknown): BotState {
    const spec = validate(botSchema, input, "body");
    const bot = this.#botState(spec);
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
    let webhook = bot.webhook;
    if (webhookPatch) {
      const problems = webhookProblems({
        ...webhookPatch,
        lastErrorMessage: webhookPatch.lastErrorMessage !== undefined ? webhookPatch.lastErrorMessage : bot.webhook.lastErrorMessage,
      });
      if (problems.length) throw new WorldError(400, problems.map((p) => `webhook.${p.key}: ${p.message}`).join("; "));
      const { lastErrorSecondsAgo, ...rest } = webhookPatch;
      webhook = { ...bot.webhook, ...rest };
      if (lastErrorSecondsAgo != null) webhook.lastErrorDate = this.now() - lastErrorSecondsAgo;
      if (lastErrorSecondsAgo === null) webhook.lastErrorDate = null;
      if (webhook.lastErrorDate === null && webhookPatch.lastErrorMessage === undefined) webhook.lastErrorMessage = null;
    }
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
    const connection = this.#connectionState(validate(connectionSchema, input, "body"));
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
    const spec = validate(faultSchema, input, "body");
    const id = spec.id ?? `f${this.#nextFaultId++}`;
    if (this.#faults.some((f) => f.id === id)) throw new WorldError(400, `id: fault "${id}" already exists`);
    const fault = { ...spec, id };
    this.#faults.push(fault);
    return fault;
  }

  faults(): Fault[] {
    return structuredClone(this.#faults);
  }

  removeFault(id: string): void {
    if (!this.#faults.some((f) => f.id === id)) throw new WorldError(404, `no fault with id "${id}"`);
    this.#faults = this.#faults.filter((f) => f.id !== id);
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** What the faults do to this call; spends one `count` of each fault that took effect. */
  takeFaults(bot: string | null, method: string): FaultPlan {
    const plan = planFaults(this.#faults, bot, method);
    for (const id of plan.used) {
      const f = this.#faults.find((x) => x.id === id);
      if (f?.count === undefined) continue;
      f.count -= 1;
      if (f.count <= 0) this.#faults = this.#faults.filter((x) => x !== f);
    }
    return plan;
  }

  // ---------- calls, messages, updates ----------

  recordCall(bot: string | null, method: string): void {
    const key = `${bot ?? ""}\u0000${method}`;
    const entry = this.#calls.get(key) ?? { bot, method, count: 0 };
    entry.count += 1;
    this.#calls.set(key, entry);
  }

  calls(): CallCount[] {
    return [...this.#calls.values()].map((c) => ({ ...c }));
  }

  /** Calls to one method (case-insensitive), optionally for one bot. */
  callCount(method: string, bot?: string | null): number {
    return this.calls()
      .filter((c) => c.method.toLowerCase() === method.toLowerCase() && (bot === undefined || c.bot === bot))
      .reduce((n, c) => n + c.count, 0);
  }

  clearCalls(): void {
    this.#calls.clear();
  }

  /** `messageId` is given for a business message: the id it got in the owner's chat (see deliverBusinessMessage). */
  recordMessage(message: Omit<SentMessage, "messageId" | "date"> & { messageId?: number }): SentMessage {
    const sent = { ...message, messageId: message.messageId ?? this.#nextMessageId++, date: this.now() };
    this.#messages.push(sent);
    return sent;
  }

  messages(): SentMessage[] {
    return this.#messages.map((m) => ({ ...m }));
  }

  clearMessages(): void {
    this.#messages = [];
  }

  /** Removes messages a bot sent through a business connection, from the outbox and from both sides of the chat. */
  deleteMessages(bot: string, businessConnectionId: string, messageIds: readonly number[]): void {
    const doomed = (m: SentMessage) => m.bot === bot && m.businessConnectionId === businessConnectionId && messageIds.includes(m.messageId);
    const owner = this.findConnection(businessConnectionId)?.connection.userId;
    if (owner !== undefined) {
      for (const m of this.#messages.filter(doomed)) this.#mail.delete(owner, m.chatId, [m.messageId], owner);
    }
    this.#messages = this.#messages.filter((m) => !doomed(m));
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
    const user = this.findUser(id);
    if (!user) throw new WorldError(404, `no user with id ${id}`);
    return user;
  }

  /**
   * User `from` writes `text` to user `peer` (e.g. the test account to a bot owner's profile). The sender
   * becomes a recent inbound chat of every connection to `peer`, and the backend of the bot serving `peer`
   * answers after its delay if it can then (see secretaryFor). Returns the sender's message id.
   */
  sendAccountMessage(from: number, peer: number, text: string): { messageId: number } {
    this.getUser(from);
    if (!Number.isSafeInteger(peer) || !this.findUser(peer)) throw new WorldError(400, `peer: no user with id ${peer}`);
    if (peer === from) throw new WorldError(400, "peer: an account cannot write to itself");
    if (text.trim() === "") throw new WorldError(400, "text: must not be empty");
    if (text.length > MAX_MESSAGE_LENGTH) throw new WorldError(400, `text: longer than ${MAX_MESSAGE_LENGTH} characters`);
    const { sent } = this.#mail.deliver(from, peer, text, this.now());
    for (const bot of this.bots) {
      for (const c of bot.connections) {
        if (c.userId === peer && !c.recentInbound.includes(from)) c.recentInbound.push(from);
      }
    }
    this.#scheduleBackendAnswer(peer, from);
    return { messageId: sent.messageId };
  }

  /**
   * Whose backend answers `sender` writing to `profile` right now: the bot with an enabled connection to
   * the profile, if it is not revoked, has Business Mode on, may reply, has the sender in scope, gets its
   * updates (healthy webhook, business_message allowed) and its backend replies at all.
   */
  secretaryFor(profile: number, sender: number): Secretary {
    let found: { bot: BotState; connection: ConnectionState } | undefined;
    for (const bot of this.bots) {
      const connection = bot.connections.find((c) => c.userId === profile && c.isEnabled);
      if (connection) {
        found = { bot, connection };
        break;
      }
    }
    if (!found) return { silent: `no bot has an enabled connection to profile ${profile}` };
    const { bot, connection } = found;
    const who = `bot ${bot.username}`;
    if (bot.revoked) return { silent: `${who}: token revoked` };
    if (!bot.canConnectToBusiness) return { silent: `${who}: Business Mode is off` };
    if (!connection.rights.can_reply) return { silent: `${who}: connection ${connection.id} lacks can_reply` };
    if (connection.excludedChats.includes(sender)) return { silent: `${who}: chat ${sender} is outside the bot's scope` };
    const lastError = this.lastErrorDate(bot);
    if (lastError !== null && this.now() - lastError <= WEBHOOK_ERROR_WINDOW_SECONDS) {
      return { silent: `${who}: webhook delivery failed ${this.now() - lastError} s ago` };
    }
    const allowed = bot.webhook.allowedUpdates;
    if (allowed !== null && !allowed.includes("business_message")) return { silent: `${who}: allowed_updates lacks business_message` };
    if (!bot.backend.replies) return { silent: `${who}: backend never replies` };
    return found;
  }

  /**
   * A bot's business message lands in the chat between the connection's owner and `chatId` (the caller
   * checked rights and scope). Returns the message id in the owner's chat, which is what the bot sees.
   */
  deliverBusinessMessage(connection: ConnectionState, chatId: number, text: string): number {
    return this.#mail.deliver(connection.userId, chatId, text, this.now()).sent.messageId;
  }

  /** Messages the account received with updateId ≥ offset, waiting up to timeoutMs for one. */
  pollAccount(userId: number, options: PollOptions = {}): Promise<AccountUpdate[]> {
    this.getUser(userId);
    return this.#mail.poll(userId, options);
  }

  /** The account's chat with `peer`, oldest first, in the account's message numbering. */
  accountChat(userId: number, peer: number): ChatMessage[] {
    this.getUser(userId);
    return this.#mail.chat(userId, peer);
  }

  /** Deletes the account's own messages (its ids) in the chat with `peer`, for both sides; returns the ids deleted. */
  deleteAccountMessages(userId: number, peer: number, messageIds: readonly number[]): number[] {
    this.getUser(userId);
    return this.#mail.delete(userId, peer, messageIds, userId);
  }

  #scheduleBackendAnswer(profile: number, sender: number): void {
    const secretary = this.secretaryFor(profile, sender);
    if ("silent" in secretary || this.#closed) return;
    const { text, delayMs } = secretary.bot.backend;
    const timer = setTimeout(() => {
      this.#backendTimers.delete(timer);
      // The bot calls sendMessage now: everything must still hold.
      const now = this.secretaryFor(profile, sender);
      if ("silent" in now || now.bot !== secretary.bot) return;
      this.deliverBusinessMessage(now.connection, sender, text);
    }, delayMs);
    timer.unref();
    this.#backendTimers.add(timer);
  }

  #cancelBackendAnswers(): void {
    for (const t of this.#backendTimers) clearTimeout(t);
    this.#backendTimers.clear();
  }
}
