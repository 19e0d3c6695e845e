import { z } from "zod";
import type { Channel } from "../types.ts";
import { alertmanagerChannel } from "./alertmanager.ts";
import { channelSchema, routedChannel, type ChannelConfigOf, type ChannelDefinition, type ChannelDeps, type PlugInChannelConfig } from "./define-channel.ts";
import { discordChannel } from "./discord.ts";
import { emailChannel } from "./email.ts";
import { ownerChannel } from "./owner.ts";
import { ntfyChannel } from "./ntfy.ts";
import { pagerdutyChannel } from "./pagerduty.ts";
import { msteamsChannel } from "./msteams.ts";
import { slackChannel } from "./slack.ts";
import { telegramChannel } from "./telegram.ts";
import { webhookChannel } from "./webhook.ts";

export type { ChannelDeps } from "./define-channel.ts";

/** A list of channel types: the built-in ones below, or a test's with a throwaway channel added. */
export type ChannelRegistry = readonly ChannelDefinition[];

/**
 * The registry: the only list of channel types. Config validation (the types and their options),
 * `createChannels` and the JSON Schema for editors all derive from it. To add a channel type, write a
 * module with `defineChannel` and list it here.
 */
export const CHANNELS = [telegramChannel, emailChannel, alertmanagerChannel, webhookChannel, ownerChannel, pagerdutyChannel, ntfyChannel, slackChannel, discordChannel, msteamsChannel] as const satisfies ChannelRegistry;

/** A configured channel: one of the built-in types with its options, or of a type a registry handed in. */
export type ChannelConfig = ChannelConfigOf<(typeof CHANNELS)[number]> | PlugInChannelConfig;

/** What `alerts.channels.<name>` may be: one of the registry's types, with its options and the shared routing. */
export function channelConfigSchema(registry: ChannelRegistry = CHANNELS): z.ZodType<ChannelConfig, Record<string, unknown>> {
  const types = registry.map((definition) => definition.type);
  const repeated = types.filter((type, i) => types.indexOf(type) !== i);
  if (repeated.length > 0) throw new Error(`the channel registry lists ${repeated.map((t) => `"${t}"`).join(", ")} more than once`);
  const [first, ...rest] = registry.map(channelSchema);
  if (!first) throw new Error("the channel registry is empty");
  return z.discriminatedUnion("type", [first, ...rest]);
}

/** The channel deps a config asks for; `bots` finds a watched bot for the channels that write as it (owner). */
export function channelDeps(config: { telegram: { apiRoot: string; environment: "prod" | "test"; timeout: number } }, bots?: ChannelDeps["bots"]): ChannelDeps {
  return { telegramApiRoot: config.telegram.apiRoot, telegramEnvironment: config.telegram.environment, timeoutMs: config.telegram.timeout, ...(bots && { bots }) };
}

/** One Channel per configured entry, in configuration order, each of the registry's type it names. */
export function createChannels(channels: Record<string, ChannelConfig>, deps: ChannelDeps, registry: ChannelRegistry = CHANNELS): Channel[] {
  const byType = new Map(registry.map((definition) => [definition.type, definition]));
  return Object.entries(channels).map(([name, config]) => {
    const definition = byType.get(config.type);
    if (!definition) throw new Error(`channel "${name}": no channel type "${config.type}" (known: ${[...byType.keys()].join(", ")})`);
    return routedChannel(name, config, definition.create(name, config, deps), definition.audience);
  });
}
