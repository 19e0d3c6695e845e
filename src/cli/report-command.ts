import { channelDeps, createChannels, type ChannelRegistry } from "../alerts/channels/index.ts";
import { renderText } from "../alerts/channels/render.ts";
import { DAY, formatDuration, MINUTE, parseDuration } from "../config/duration.ts";
import type { Config } from "../config/schema.ts";
import { configSecrets } from "../config/secrets.ts";
import { registerSecret } from "../redact.ts";
import { buildDigest } from "../reports/digest.ts";
import { failingFromIncidents } from "../reports/failing-bots.ts";
import { reportRefusal } from "../reports/report-channels.ts";
import { reportMessage } from "../reports/report-message.ts";
import { DatabaseError } from "../store/sqlite/errors.ts";
import { openStoredHistory, type StoredHistory } from "../store/sqlite/history-reader.ts";
import { openPostgresHistory } from "../store/postgres/history-reader.ts";
import { UsageError } from "./check-command.ts";

/**
 * `secretary-watch report [--config PATH] [--window 7d] [--channel NAME]` (README, "Reports"): the digest of
 * the window ending now, read from the store as `history` reads it (read-only, beside the service). With
 * `--channel` it is sent straight through that channel (not the outbox: the answer is wanted now, as for
 * `alerts test`); without, its text is printed. Its name and default window are the first report's of the
 * config; the bots still failing are those whose alert is firing (the store's open incidents).
 */

const MIN_WINDOW = 60 * MINUTE;
const MAX_WINDOW = 90 * DAY;

/** `--window`: a duration from 1h to 90d, as `reports[].window`. */
export function parseWindow(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < MIN_WINDOW || ms > MAX_WINDOW) throw new UsageError(`--window: expected a duration from 1h to 90d such as 24h or 7d, got "${value}"`);
  return ms;
}

export interface ReportArgs {
  window?: string | undefined;
  channel?: string | undefined;
}

/** Runs the command: 0 printed or sent, 1 the channel refused it, 2 a bad argument or no readable store. */
export async function runReport(config: Config, args: ReportArgs, out: (text: string) => void, err: (text: string) => void, registry?: ChannelRegistry): Promise<number> {
  const first = config.reports[0];
  const windowMs = args.window !== undefined ? parseWindow(args.window) : (first?.window ?? 7 * DAY);
  configSecrets(config).forEach(registerSecret);
  const channel = args.channel === undefined ? undefined : pickChannel(config, args.channel, registry);
  let stored: StoredHistory;
  try {
    stored = config.store.url ? await openPostgresHistory(config.store.url) : openStoredHistory(config.store.path);
  } catch (e) {
    await channel?.close?.();
    if (!(e instanceof DatabaseError)) throw e;
    err(`secretary-watch report: ${e.message}\n`);
    return 2;
  }
  try {
    const failing = failingFromIncidents(await stored.history.openIncidents());
    const digest = await buildDigest(stored.history, { name: first?.name ?? "report", now: Date.now(), windowMs, window: formatDuration(windowMs), failing });
    const message = reportMessage(digest, { publicUrl: config.server.publicUrl || undefined });
    if (!channel) {
      out(`${renderText(message)}\n`);
      return 0;
    }
    try {
      await channel.send(message, AbortSignal.timeout(Math.max(config.telegram.timeout, 15_000)));
      out(`sent    ${channel.name} (${channel.type}): ${message.summary}\n`);
      return 0;
    } catch (e) {
      out(`FAILED  ${channel.name} (${channel.type}): ${(e as Error).message}\n`);
      return 1;
    }
  } finally {
    await channel?.close?.();
    await stored.close();
  }
}

/** The channel `--channel` names: one of alerts.channels, of a type that takes reports. */
function pickChannel(config: Config, name: string, registry?: ChannelRegistry) {
  const configured = Object.hasOwn(config.alerts.channels, name) ? config.alerts.channels[name] : undefined;
  if (!configured) {
    const known = Object.keys(config.alerts.channels);
    throw new UsageError(`--channel: no channel named "${name}" under alerts.channels (configured: ${known.length > 0 ? known.join(", ") : "none"})`);
  }
  const refusal = reportRefusal(configured.type);
  if (refusal) throw new UsageError(`--channel: "${name}" is a ${configured.type} channel, which takes no reports: ${refusal}`);
  return createChannels({ [name]: configured }, channelDeps(config), registry)[0]!;
}
