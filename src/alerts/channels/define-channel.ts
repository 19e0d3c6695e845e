import { z } from "zod";
import type { BotTarget } from "../../check-model.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { accepts, routeOptions, type Route } from "./routing.ts";

/** What every channel factory may use besides its own options. */
export interface ChannelDeps {
  /** telegram.apiRoot: the telegram channel's default. */
  telegramApiRoot: string;
  telegramEnvironment: "prod" | "test";
  /** Deadline of one delivery attempt over HTTP (Bot API, Alertmanager, webhook). SMTP has its own. */
  timeoutMs: number;
  /** A watched bot by name, for a channel that writes as the bot itself (owner); read at send time, never stored. */
  bots?: (name: string) => WatchedBot | undefined;
}

/** What a channel that writes as the bot needs of it. */
export type WatchedBot = Pick<BotTarget, "name" | "token" | "username" | "botId" | "ownerId" | "businessConnectionId">;

/** What a channel module makes: the delivery itself. Its name, type and routing are the registry's. */
export type ChannelSender = Pick<Channel, "send" | "close">;

/**
 * The one interface every channel type implements (one module each under `alerts/channels/`, listed in
 * `index.ts`). A channel only delivers: its options are validated by the config from `options`, the
 * routing options every channel shares (`routing.ts`) are added by the registry, and the outbox owns
 * retries, back-off and expiry. `send` throws only ChannelError (see `http-delivery.ts` for the
 * shared retry/permanent classification).
 */
export interface ChannelDefinition<T extends string = string, S extends z.ZodObject = z.ZodObject> {
  /** `type:` in the config, the `channel_type` users see. */
  readonly type: T;
  /** This channel's own options under `alerts.channels.<name>`: a strict object of fields. */
  readonly options: S;
  /**
   * Who reads it: `operators` (the default) take the bot and monitor alerts; `owner` takes only the
   * messages to a bot's profile owner (scope "owner"), which no operators' channel takes.
   */
  readonly audience?: Audience;
  /** One configured channel. Registers its secrets (tokens, passwords) before it can fail. */
  create(name: string, options: z.output<S>, deps: ChannelDeps): ChannelSender;
}

export type Audience = NonNullable<Channel["audience"]>;

/** One config entry of this channel type (of each, for a union): `type`, its own options and the shared routing. */
export type ChannelConfigOf<D extends ChannelDefinition> = D extends ChannelDefinition ? { type: D["type"] } & z.output<D["options"]> & Route : never;

/** A config entry of a channel type only a registry handed in knows (a test's throwaway channel). */
export type PlugInChannelConfig = { type: string } & Route & { [option: string]: unknown };

/** Keys the registry gives every channel; a channel's own options cannot take them. */
const SHARED_KEYS = ["type", ...Object.keys(routeOptions)];

export function defineChannel<T extends string, S extends z.ZodObject>(definition: ChannelDefinition<T, S>): ChannelDefinition<T, S> {
  const clash = Object.keys(definition.options.shape).filter((key) => SHARED_KEYS.includes(key));
  if (clash.length > 0) throw new Error(`channel type "${definition.type}": option ${clash.join(", ")} is given to every channel by the registry`);
  return definition;
}

/** The config schema of one channel type: `type`, then its own options, then the routing options. */
export function channelSchema(definition: ChannelDefinition) {
  const schema = z.strictObject({ type: z.literal(definition.type), ...definition.options.shape, ...routeOptions });
  if (definition.audience !== "owner") return schema;
  // A profile owner is told what they can fix while the alert fires; escalating is the operators' matter.
  return schema.refine((config) => !config.after, {
    path: ["after"],
    error: `the ${definition.type} channel writes to each bot's profile owner and cannot escalate: set after on an operators' channel`,
  });
}

/** The channel users configure: the module's delivery behind the routing every channel shares. */
export function routedChannel(name: string, config: { type: string } & Route, sender: ChannelSender, audience: Audience = "operators"): Channel {
  const channel: Channel = {
    name,
    type: config.type,
    audience,
    ...(config.after && { after: config.after }),
    accepts: (message: AlertMessage) => (message.scope === "owner") === (audience === "owner") && accepts(config, message),
    send: (message, signal) => sender.send(message, signal),
  };
  const close = sender.close?.bind(sender);
  return close ? { ...channel, close } : channel;
}
