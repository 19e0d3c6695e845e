/**
 * The shapes of a running world's state, and how a valid spec becomes that state: a bot gets its numeric
 * id, a webhook's relative last error becomes a date, a connection's rights become the set Telegram sends.
 */
import { RIGHT_NAMES } from "./world-schema.ts";
import { webhookProblems } from "./world-schema.ts";
import type { BotSpec, ConnectionSpec, RightName, Rights, WebhookPatch, WebhookSpec } from "./world-schema.ts";
import { WorldError } from "./world-load.ts";

export type WebhookState = Omit<WebhookSpec, "lastErrorSecondsAgo">;
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

/** `input`'s true rights added to `base`, its false ones removed. */
export function toRights(input: Partial<Record<RightName, boolean>>, base: Rights = {}): Rights {
  const out: Rights = { ...base };
  for (const name of RIGHT_NAMES) {
    if (input[name] === true) out[name] = true;
    if (input[name] === false) delete out[name];
  }
  return out;
}

/** `now` is Unix seconds: what lastErrorSecondsAgo counts back from. */
export function botState(b: BotSpec, now: number): BotState {
  const { lastErrorSecondsAgo, ...webhook } = b.webhook;
  if (lastErrorSecondsAgo !== null) webhook.lastErrorDate = now - lastErrorSecondsAgo;
  return {
    ...b,
    id: Number(b.token.split(":")[0]),
    webhook,
    connections: b.connections.map((c) => connectionState(c, now)),
  };
}

/** A connection without a date was made `now`. */
export function connectionState(c: ConnectionSpec, now: number): ConnectionState {
  return { ...c, date: c.date ?? now, rights: toRights(c.rights) };
}

/** The latest delivery error at `now`, following errorEverySeconds when delivery keeps failing. */
export function lastErrorDate(webhook: WebhookState, now: number): number | null {
  const { lastErrorDate: first, errorEverySeconds: every } = webhook;
  if (first === null || every === null) return first;
  return now <= first ? first : first + Math.floor((now - first) / every) * every;
}

/**
 * `webhook` with `patch` applied at `now`, or a 400 naming the rule the result would break. A last error
 * given in seconds ago becomes a date; clearing the date clears its message unless the patch sets one.
 */
export function patchedWebhook(webhook: WebhookState, patch: WebhookPatch, now: number): WebhookState {
  const problems = webhookProblems({
    ...patch,
    lastErrorMessage: patch.lastErrorMessage !== undefined ? patch.lastErrorMessage : webhook.lastErrorMessage,
  });
  if (problems.length) throw new WorldError(400, problems.map((p) => `webhook.${p.key}: ${p.message}`).join("; "));
  const { lastErrorSecondsAgo, ...rest } = patch;
  const patched = { ...webhook, ...rest };
  if (lastErrorSecondsAgo != null) patched.lastErrorDate = now - lastErrorSecondsAgo;
  if (lastErrorSecondsAgo === null) patched.lastErrorDate = null;
  if (patched.lastErrorDate === null && patch.lastErrorMessage === undefined) patched.lastErrorMessage = null;
  return patched;
}
