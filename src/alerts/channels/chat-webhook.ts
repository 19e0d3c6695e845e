import { registerSecret } from "../../redact.ts";
import type { AlertMessage } from "../types.ts";
import type { ChannelDeps, ChannelSender } from "./define-channel.ts";
import { httpTarget, postJson } from "./http-delivery.ts";

/**
 * The delivery the chat channels (slack, discord, msteams) share: one JSON POST to a webhook URL that
 * is itself the credential (whoever holds it can post), so the URL and the part of it that is the
 * token are registered as secrets before anything can fail, and every failure is classified by
 * http-delivery like any other HTTP receiver's.
 */
export interface ChatWebhook {
  /** `slack`, `discord`, `msteams`: the label of every error. */
  type: string;
  url: string;
  /** The parts of the URL that are the token (a path segment, a `sig` parameter), as written and decoded. */
  secretParts(url: URL): string[];
  /** The request body for one notification. */
  payload(message: AlertMessage): unknown;
}

export function chatWebhookSender(name: string, hook: ChatWebhook, deps: Pick<ChannelDeps, "timeoutMs">): ChannelSender {
  const url = new URL(hook.url);
  for (const secret of [hook.url, url.toString(), ...hook.secretParts(url)]) registerSecret(secret);
  const target = httpTarget(hook.url);
  const label = `${hook.type} channel "${name}"`;
  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      await postJson(label, target, JSON.stringify(hook.payload(message)), {}, signal, deps.timeoutMs);
    },
  };
}

/** Shorter path segments are names or ids (`services`, `T0123ABCD`, `github`), not a token. */
const TOKEN_MIN_LENGTH = 16;

/**
 * The path segments long enough to be a token, as written and percent-decoded: where Slack
 * (`/services/T…/B…/<token>`) and Discord (`/api/webhooks/<id>/<token>`) put it.
 */
export function tokenPathSegments(url: URL): string[] {
  return url.pathname
    .split("/")
    .filter((segment) => segment.length >= TOKEN_MIN_LENGTH)
    .flatMap(withDecoded);
}

/** A query parameter's value as written and decoded: the `sig` of a Teams Workflows URL. */
export function queryParameter(url: URL, name: string): string[] {
  const raw = new RegExp(`[?&]${name}=([^&#]*)`).exec(url.search)?.[1] ?? "";
  return withDecoded(raw);
}

function withDecoded(value: string): string[] {
  if (value === "") return [];
  try {
    return [...new Set([value, decodeURIComponent(value)])];
  } catch {
    return [value];
  }
}
