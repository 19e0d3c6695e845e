import { randomUUID } from "node:crypto";
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import type { OutboxEntry } from "../alerts/outbox.ts";
import type { Channel } from "../alerts/types.ts";
import { armTimer } from "../clock.ts";
import { formatDuration } from "../config/duration.ts";
import type { ReportRuns } from "../store/report-runs.ts";
import { buildDigest, type DigestSource, type FailingBot } from "./digest.ts";
import type { ReportConfig } from "./report-config.ts";
import { reportRefusal } from "./report-channels.ts";
import { reportMessage } from "./report-message.ts";

export interface ReportSchedulerOptions {
  reports: readonly ReportConfig[];
  /** Where the last sent and next owed occurrence of each report are kept (the store's `report_runs`). */
  runs: ReportRuns;
  history: DigestSource;
  /** The outbox's channels, by name: a report goes to those it names. */
  channels: readonly Channel[];
  outbox: { add(entries: readonly OutboxEntry[]): Promise<void> };
  /** The bots failing now (the monitor's latest sweeps). */
  failing: () => FailingBot[];
  /** Replicas: whether this replica sends reports (it holds the monitor alert's shard). Default: always. */
  owns?: () => boolean;
  publicUrl?: string | undefined;
  logger: Logger;
  /** After a report could not be built or queued (the store did not answer), it is tried again this much later. */
  retryMs?: number;
}

/** An occurrence this close ahead counts as come: node-cron fires on the second, the wall clock may be a hair behind. */
const EARLY_MS = 1_000;

/**
 * Sends each report on its cron (README, "Reports"), through the outbox like every notification. The
 * store keeps, per report, the occurrence it owes next: at start a report whose occurrence passed while
 * the monitor was down is sent once, however many passed; a report met for the first time (or with a
 * changed cron) is planned from its next occurrence, sending nothing. The occurrence is claimed in the
 * store (compare-and-set) before the report is queued, so of two replicas, or of a timer and a catch-up,
 * one sends. Only the replica that holds the monitor alert's shard sends at all.
 */
export class ReportScheduler {
  private readonly o: ReportSchedulerOptions;
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = true;

  constructor(options: ReportSchedulerOptions) {
    this.o = options;
  }

  start(): void {
    this.stopped = false;
    for (const report of this.o.reports) {
      const task = cron.schedule(report.cron, () => this.run(report, "scheduled"), { timezone: report.timezone, name: `report-${report.name}`, noOverlap: true });
      this.tasks.set(report.name, task);
    }
    this.catchUp();
  }

  /** Sends what was missed (a start; a replica that just took the monitor's shard over). */
  catchUp(): void {
    for (const report of this.o.reports) void this.run(report, "start");
  }

  stop(): void {
    this.stopped = true;
    for (const task of this.tasks.values()) void task.destroy();
    this.tasks.clear();
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  /** A reload: the cron jobs of the new reports replace the old ones (a report's stored runs are kept by name). */
  replace(next: Pick<ReportSchedulerOptions, "reports" | "channels" | "publicUrl">): void {
    const running = !this.stopped;
    this.stop();
    Object.assign(this.o, next);
    if (running) this.start();
  }

  /** Settles once the report's occurrence is sent, planned, or found not owed. Never rejects: a failure is logged and retried. */
  async run(report: ReportConfig, reason: "scheduled" | "start" | "retry"): Promise<void> {
    if (this.stopped || !(this.o.owns?.() ?? true)) return;
    clearTimeout(this.retries.get(report.name));
    this.retries.delete(report.name);
    try {
      await this.step(report, reason);
    } catch (err) {
      if (this.stopped) return;
      const retryMs = this.o.retryMs ?? 60_000;
      this.o.logger.error({ err, report: report.name, retryMs }, "report not sent: the store could not be read or written; will retry");
      this.retries.set(report.name, armTimer(() => void this.run(report, "retry"), retryMs));
    }
  }

  private async step(report: ReportConfig, reason: "scheduled" | "start" | "retry"): Promise<void> {
    const schedule = `${report.cron} ${report.timezone}`;
    const now = Date.now();
    const next = this.nextAfter(report, now);
    const run = await this.o.runs.get(report.name);
    const planned = run?.schedule === schedule;
    // At start, a report seen for the first time (or with a new cron) owes nothing yet: it starts from its next occurrence.
    if (!planned && reason === "start") return this.o.runs.plan(report.name, { schedule, lastSentAt: run?.lastSentAt ?? null, nextDueAt: next });
    // Another replica (or an earlier call) sent this occurrence already, or nothing was missed.
    if (planned && run.nextDueAt > now + EARLY_MS) return;

    const digest = await buildDigest(this.o.history, { name: report.name, now, windowMs: report.window, window: formatDuration(report.window), failing: this.o.failing() });
    const message = reportMessage(digest, { publicUrl: this.o.publicUrl });
    const entries = this.channels(report).map((channel): OutboxEntry => ({ id: randomUUID(), channel: channel.name, message, createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now }));
    const sent = { schedule, lastSentAt: now, nextDueAt: next };
    const mine = planned ? await this.o.runs.claim(report.name, run.nextDueAt, sent) : (await this.o.runs.plan(report.name, sent), true);
    if (!mine || this.stopped) return;
    await this.o.outbox.add(entries);
    this.o.logger.info({ report: report.name, reason, channels: entries.map((e) => e.channel), incidents: digest.incidents.length, from: digest.from, to: digest.to }, "report queued");
  }

  /** The configured channels of `report` that take reports (the config refuses the others; a test's registry may differ). */
  private channels(report: ReportConfig): Channel[] {
    return report.channels.flatMap((name) => {
      const channel = this.o.channels.find((c) => c.name === name);
      if (channel && !reportRefusal(channel.type) && channel.audience !== "owner") return [channel];
      this.o.logger.warn({ report: report.name, channel: name }, "report channel missing or takes no reports; skipped");
      return [];
    });
  }

  /** The first occurrence of `report` after `now`: node-cron counts from the current second, which may be the one firing. */
  private nextAfter(report: ReportConfig, now: number): number {
    const task = this.tasks.get(report.name);
    const upcoming = task ? task.getNextRuns(2) : [];
    const next = upcoming.map((d) => d.getTime()).find((t) => t > now);
    if (next === undefined) throw new Error(`report "${report.name}": cron ${JSON.stringify(report.cron)} has no next occurrence`);
    return next;
  }
}
