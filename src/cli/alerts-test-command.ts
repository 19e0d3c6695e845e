import type { Config } from "../config/schema.ts";
import { configSecrets } from "../config/secrets.ts";
import { registerSecret } from "../redact.ts";
import { channelDeps, createChannels, type ChannelRegistry } from "../alerts/channels/index.ts";
import { composeTestMessage } from "../alerts/compose.ts";
import { UsageError } from "./check-command.ts";

export interface ChannelTestResult {
  channel: string;
  type: string;
  ok: boolean;
  error?: string;
  /** Why nothing was sent (an owner channel: its readers are the bots' owners, never to be tested on). */
  skipped?: string;
}

/**
 * Sends one test notification straight through each channel (not the outbox: the answer is wanted now).
 * `registry` is the channel types the config was validated with (the built-in ones unless a test adds one).
 */
export async function testChannels(config: Config, only?: string, registry?: ChannelRegistry): Promise<ChannelTestResult[]> {
  configSecrets(config).forEach(registerSecret);
  const channels = createChannels(config.alerts.channels, channelDeps(config), registry).filter((c) => !only || c.name === only);
  if (channels.length === 0)
    throw new UsageError(only ? `--channel: no channel named "${only}" under alerts.channels` : "no channels configured under alerts.channels");
  const message = composeTestMessage(new Date(), { publicUrl: config.server.publicUrl || undefined, repeatIntervalMs: config.alerts.repeatInterval });
  const results = await Promise.all(
    channels.map(async (channel): Promise<ChannelTestResult> => {
      if (channel.audience === "owner") {
        await channel.close?.();
        return { channel: channel.name, type: channel.type, ok: true, skipped: "it writes to each bot's profile owner, only about what they must fix: a test would reach creators" };
      }
      try {
        await channel.send(message, AbortSignal.timeout(Math.max(config.telegram.timeout, 15_000)));
        return { channel: channel.name, type: channel.type, ok: true };
      } catch (err) {
        return { channel: channel.name, type: channel.type, ok: false, error: (err as Error).message };
      } finally {
        await channel.close?.();
      }
    }),
  );
  return results;
}
