import type { ChannelConfig, Config } from "../../config/schema.ts";
import type { Channel } from "../types.ts";
import { createAlertmanagerChannel } from "./alertmanager.ts";
import { createEmailChannel } from "./email.ts";
import { createTelegramChannel } from "./telegram.ts";
import { createWebhookChannel } from "./webhook.ts";

/** What every channel factory may use besides its own config. */
export interface ChannelDeps {
  /** telegram.apiRoot: the telegram channel's default. */
  telegramApiRoot: string;
  telegramEnvironment: "prod" | "test";
  /** Deadline of one delivery attempt over HTTP (Bot API, Alertmanager, webhook). SMTP has its own. */
  timeoutMs: number;
}

export type ChannelType = ChannelConfig["type"];
export type ChannelFactory<T extends ChannelType = ChannelType> = (
  name: string,
  config: Extract<ChannelConfig, { type: T }>,
  deps: ChannelDeps,
) => Channel;

/** The one list of channel types. */
export const CHANNEL_TYPES: { readonly [T in ChannelType]: ChannelFactory<T> } = {
  telegram: createTelegramChannel,
  email: (name, config) => createEmailChannel(name, config),
  alertmanager: createAlertmanagerChannel,
  webhook: createWebhookChannel,
};

/** One Channel per configured entry, in configuration order. */
export function createChannels(channels: Config["alerts"]["channels"], deps: ChannelDeps): Channel[] {
  return Object.entries(channels).map(([name, config]) => {
    const factory = CHANNEL_TYPES[config.type] as ChannelFactory;
    return factory(name, config as never, deps);
  });
}
