/**
 * The simulated Secretary backend: which bot answers a message written to a Business profile, and its
 * answer arriving after the backend's delay, as long as the bot can still send it then. What a message is
 * and where it lands is the world's (mailboxes.ts); this only decides who answers and when.
 */
import type { BotState, ConnectionState } from "./world-state.ts";
import { lastErrorDate } from "./world-state.ts";

/** Who answers a message written to a profile: a bot's backend, or nobody and why. */
export type Secretary = { bot: BotState; connection: ConnectionState } | { silent: string };
/** A webhook error this recent means the bot is not getting its updates (so it cannot answer). */
export const WEBHOOK_ERROR_WINDOW_SECONDS = 60;

/**
 * Whose backend answers `sender` writing to `profile` at `now` (Unix seconds): the bot with an enabled
 * connection to the profile, if it is not revoked, has Business Mode on, may reply, has the sender in
 * scope, gets its updates (healthy webhook, business_message allowed) and its backend replies at all.
 */
export function findSecretary(bots: readonly BotState[], profile: number, sender: number, now: number): Secretary {
  let found: { bot: BotState; connection: ConnectionState } | undefined;
  for (const bot of bots) {
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
  const lastError = lastErrorDate(bot.webhook, now);
  if (lastError !== null && now - lastError <= WEBHOOK_ERROR_WINDOW_SECONDS) {
    return { silent: `${who}: webhook delivery failed ${now - lastError} s ago` };
  }
  const allowed = bot.webhook.allowedUpdates;
  if (allowed !== null && !allowed.includes("business_message")) return { silent: `${who}: allowed_updates lacks business_message` };
  if (!bot.backend.replies) return { silent: `${who}: backend never replies` };
  return found;
}

/** What the backends act on: the world's current state and where a business message is delivered. */
export type SecretaryWorld = {
  readonly bots: readonly BotState[];
  secretaryFor(profile: number, sender: number): Secretary;
  deliverBusinessMessage(connection: ConnectionState, chatId: number, text: string): number;
};

/** The pending answers of every backend; they never keep the process alive. */
export class SecretaryBackends {
  readonly #world: SecretaryWorld;
  #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(world: SecretaryWorld) {
    this.#world = world;
  }

  /**
   * `sender` just wrote to `profile`: as in Telegram, the sender becomes a recent inbound chat of every
   * connection to the profile, and the backend serving it answers after its delay if it still can then.
   */
  written(sender: number, profile: number): void {
    for (const bot of this.#world.bots) {
      for (const c of bot.connections) {
        if (c.userId === profile && !c.recentInbound.includes(sender)) c.recentInbound.push(sender);
      }
    }
    this.#answerLater(profile, sender);
  }

  #answerLater(profile: number, sender: number): void {
    const secretary = this.#world.secretaryFor(profile, sender);
    if ("silent" in secretary || this.#closed) return;
    const { text, delayMs } = secretary.bot.backend;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // The bot calls sendMessage now: everything must still hold.
      const now = this.#world.secretaryFor(profile, sender);
      if ("silent" in now || now.bot !== secretary.bot) return;
      this.#world.deliverBusinessMessage(now.connection, sender, text);
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Pending answers are dropped (a reset world). */
  cancel(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Pending answers are dropped and no new one is scheduled (a stopping sandbox). */
  close(): void {
    this.#closed = true;
    this.cancel();
  }
}
