import type { BotClient } from "../telegram/client.ts";
import type { WireBusinessConnection, WireStarAmount, WireUser, WireWebhookInfo } from "../telegram/wire.ts";
import { grantedRights } from "../telegram/rights.ts";
import type { BotTarget, Observations } from "../check-model.ts";

/** Every Bot API method a sweep calls (below): secretary_telegram_requests_total has their series from the start. */
export const SWEEP_METHODS = [
  "getMe",
  "getBusinessConnection",
  "getWebhookInfo",
  "getBusinessAccountStarBalance",
  "sendChatAction",
  "sendMessage",
  "deleteBusinessMessages",
] as const;

/**
 * What checks may ask Telegram during one sweep. Reads are memoized, so the checks that share
 * an answer (getMe for token/identity/business-mode, the connection for connection/rights)
 * cost one request per sweep; a failed read is memoized too, so dependants see the same error.
 * The answers are also the sweep's observations for metrics.
 */
export class SweepTelegram {
  private readonly memo = new Map<string, Promise<unknown>>();
  readonly observed: Observations = {};

  private readonly client: BotClient;
  private readonly bot: BotTarget;
  private readonly signal: AbortSignal | undefined;

  /** `signal`: the sweep's; every call made through this view is cancelled when it aborts. */
  constructor(client: BotClient, bot: BotTarget, signal?: AbortSignal) {
    this.client = client;
    this.bot = bot;
    this.signal = signal;
  }

  getMe(): Promise<WireUser> {
    return this.once("getMe", () => this.client.call<WireUser>("getMe", {}, this.signal));
  }

  /** Requires a recorded connection id; the connection check verifies that first. */
  getBusinessConnection(): Promise<WireBusinessConnection> {
    return this.once("getBusinessConnection", async () => {
      const connection = await this.client.call<WireBusinessConnection>("getBusinessConnection", {
        business_connection_id: this.connectionId(),
      }, this.signal);
      this.observed.connectionEnabled = connection.is_enabled;
      this.observed.rights = grantedRights(connection);
      return connection;
    });
  }

  getWebhookInfo(): Promise<WireWebhookInfo> {
    return this.once("getWebhookInfo", async () => {
      const info = await this.client.call<WireWebhookInfo>("getWebhookInfo", {}, this.signal);
      this.observed.webhookPendingUpdates = info.pending_update_count;
      if (info.last_error_date) this.observed.webhookLastErrorAt = info.last_error_date;
      return info;
    });
  }

  getBusinessAccountStarBalance(): Promise<WireStarAmount> {
    return this.once("getBusinessAccountStarBalance", () =>
      this.client.call<WireStarAmount>("getBusinessAccountStarBalance", { business_connection_id: this.connectionId() }, this.signal),
    );
  }

  /** Shows "typing" in `chatId` through the business connection: the scope probe. Not memoized. */
  sendChatAction(chatId: number): Promise<true> {
    return this.client.call<true>("sendChatAction", {
      chat_id: chatId,
      action: "typing",
      business_connection_id: this.connectionId(),
    }, this.signal);
  }

  /** Sends `text` to `chatId` on the owner's behalf through the business connection. Not memoized. */
  sendBusinessMessage(chatId: number, text: string): Promise<{ message_id: number }> {
    return this.client.call<{ message_id: number }>("sendMessage", {
      chat_id: chatId,
      text,
      business_connection_id: this.connectionId(),
      link_preview_options: { is_disabled: true },
    }, this.signal);
  }

  deleteBusinessMessages(messageIds: number[]): Promise<true> {
    return this.client.call<true>("deleteBusinessMessages", { business_connection_id: this.connectionId(), message_ids: messageIds }, this.signal);
  }

  private connectionId(): string {
    if (!this.bot.businessConnectionId) throw new Error(`bot ${this.bot.name} has no business connection id`);
    return this.bot.businessConnectionId;
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.memo.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      // Memoized rejections are awaited by the checks that ask; this only silences the unobserved copy.
      pending.catch(() => undefined);
      this.memo.set(key, pending);
    }
    return pending;
  }
}
