import type { Logger } from "pino";
import type { MaintenanceSchedule } from "../alerts/maintenance-windows.ts";
import type { Outbox } from "../alerts/outbox.ts";
import type { AlertEngine } from "../alerts/engine.ts";
import type { Channel } from "../alerts/types.ts";
import type { Config } from "../config/schema.ts";
import type { Fleet } from "../fleet.ts";
import type { Access } from "../http/access.ts";
import type { Sweep } from "../monitor.ts";
import type { ReportScheduler } from "../reports/report-scheduler.ts";
import type { Scheduler } from "../runner/scheduler.ts";
import type { ConfigChanges } from "./config-diff.ts";

/** The running parts a reload changes, each through a setter of its own. */
export interface LiveParts {
  /** The config the service keeps (no bots): the fleet and the admin API read it; updated in place. */
  settings: Config;
  fleet: Fleet;
  scheduler: Scheduler<Sweep>;
  outbox: Outbox;
  engine: AlertEngine;
  reports: ReportScheduler;
  maintenance: MaintenanceSchedule;
  /** The channels in use, replaced when alerts.channels changes. */
  channels: Channel[];
  /** Builds the channels of a config (createChannels with the service's deps). */
  createChannels: (config: Config) => Channel[];
  /** The admin tokens and the page's users, swapped at once. */
  access: Pick<Access, "update">;
  logger: Logger;
}

/**
 * Applies a validated diff: only what changed is touched. Notifications already queued for a channel
 * that is gone are dropped by the outbox at its next pass (logged, recorded as "channel removed"): the
 * channel's address and credentials left with it, so there is nothing left to send them with.
 */
export function applyChanges(parts: LiveParts, next: Config, changes: ConfigChanges): void {
  const changed = new Set(changes.sections);
  Object.assign(parts.settings, { ...next, bots: [] });
  if (changed.has("alerts.channels")) {
    const old = parts.channels;
    parts.channels = parts.createChannels(next);
    parts.outbox.setChannels(parts.channels);
    for (const channel of old)
      void Promise.resolve(channel.close?.()).catch((err: unknown) => parts.logger.warn({ err, channel: channel.name }, "closing a replaced channel failed"));
  }
  if (changed.has("alerts.channels") || changed.has("alerts.policy") || changed.has("server.publicUrl")) {
    parts.engine.reconfigure({
      policy: { failAfter: next.alerts.failAfter, recoverAfter: next.alerts.recoverAfter, repeatIntervalMs: next.alerts.repeatInterval, sendResolved: next.alerts.sendResolved },
      channels: parts.channels,
      ...(next.server.publicUrl && { publicUrl: next.server.publicUrl }),
    });
  }
  if (changed.has("server.access")) parts.access.update(next.server);
  if (changed.has("alerts.maintenance")) parts.maintenance.replace(next.alerts.maintenance);
  if (changed.has("reports") || changed.has("alerts.channels") || changed.has("server.publicUrl"))
    parts.reports.replace({ reports: next.reports, channels: parts.channels, publicUrl: next.server.publicUrl || undefined });
  if (changed.has("schedule.concurrency")) parts.scheduler.setConcurrency(next.schedule.concurrency);
  if (changed.has("schedule.interval")) parts.scheduler.setInterval(next.schedule.interval);
  parts.fleet.reload(next.bots, changes.bots);
}
