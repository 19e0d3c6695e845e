import { z } from "zod";
import { credentialUrl } from "../../config/fields.ts";
import { registerSecret } from "../../redact.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelDeps, type ChannelSender } from "./define-channel.ts";
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

/** A chat channel type: its one option, `url`, described with an example, and what it posts. */
export interface ChatChannelSpec<T extends string> extends Omit<ChatWebhook, "url"> {
  type: T;
  url: { example: string; description: string };
}

/** A chat channel type for the registry, and a factory for one such channel with its routing outside it. */
export function defineChatChannel<T extends string>(spec: ChatChannelSpec<T>) {
  const options = z.strictObject({ url: credentialUrl(spec.url.example, spec.url.description) });
  const sender = (name: string, config: z.output<typeof options>, deps: Pick<ChannelDeps, "timeoutMs">) =>
    chatWebhookSender(name, { type: spec.type, url: config.url, secretParts: spec.secretParts, payload: spec.payload }, deps);
  const definition = defineChannel({ type: spec.type, options, create: sender });
  const create = (name: string, config: ChannelConfigOf<typeof definition>, deps: Pick<ChannelDeps, "timeoutMs">): Channel =>
    routedChannel(name, config, sender(name, config, deps));
  return { definition, create };
}

function chatWebhookSender(name: string, hook: ChatWebhook, deps: Pick<ChannelDeps, "timeoutMs">): ChannelSender {
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
