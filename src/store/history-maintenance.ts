import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { armInterval } from "../clock.ts";

/** What housekeeping needs of a history store, whichever its engine. */
export interface HistoryHousekeeping {
  /** Writes the monitor's run heartbeat with the store's next commit. */
  heartbeat(now: number): void;
  /**
   * Rolls up every day that ended before `now` and is not rolled up yet; how many it rolled up (0 when
   * none was due, or another replica holds the housekeeping lock: it is rolling them up).
   */
  rollUp(now: number): number | Promise<number>;
  /** Deletes up to `batch` rows of each kind older than `cut`; how many (0: done, or another replica is pruning). */
  pruneStep(cut: number, batch: number): number | Promise<number>;
}

export interface HistoryMaintenanceOptions {
  history: HistoryHousekeeping;
  /** store.retention: history older than this is pruned. */
  retentionMs: number;
  logger: Logger;
  /** How often the run's heartbeat is written: after a crash, at most this much is wrongly known. */
  heartbeatMs?: number;
  /** Counts a failed rollup or prune (secretary_store_errors_total). */
  onError?: (operation: "rollup" | "prune") => void;
}

/** Rows pruned per transaction: short ones, so sweeps' commits never wait long for the write lock. */
const PRUNE_BATCH = 500;

/**
 * The history's housekeeping (README, "Storage and history"), on either engine. The heartbeat is an
 * interval of ours: the monitor's known time reaches its last heartbeat, so a crash leaves a gap of no
 * data rather than a false "up". Rolling up the day that ended and pruning past `store.retention` are
 * calendar-shaped, so node-cron runs them just after midnight UTC (and once at start, for a monitor that
 * was stopped across midnight). Pruning runs in small batches, yielding to the event loop between them.
 * On SQLite each step runs synchronously when called; on PostgreSQL each is awaited.
 */
export class HistoryMaintenance {
  private readonly o: HistoryMaintenanceOptions;
  private heartbeat: NodeJS.Timeout | undefined;
  private daily: ScheduledTask | undefined;
  private pruning: NodeJS.Immediate | undefined;
  private pruningRuns = false;
  private stopped = false;

  constructor(options: HistoryMaintenanceOptions) {
    this.o = options;
  }

  start(): void {
    this.stopped = false;
    this.heartbeat = armInterval(() => this.o.history.heartbeat(Date.now()), this.o.heartbeatMs ?? 15_000);
    this.daily = cron.schedule("0 0 * * *", () => this.runDaily(), { timezone: "Etc/UTC", noOverlap: true, name: "history-daily" });
    // A monitor stopped across midnight rolls up the days it missed now; best-effort, like at midnight.
    void this.runDaily();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    void this.daily?.destroy();
    if (this.pruning) clearImmediate(this.pruning);
    this.pruning = undefined;
  }

  /** Rolls up the days that ended, then prunes. Never rejects: a failure is logged and counted. */
  async runDaily(): Promise<void> {
    try {
      const rolled = await this.o.history.rollUp(Date.now());
      if (rolled > 0) this.o.logger.info({ days: rolled }, "history rolled up");
    } catch (err) {
      this.o.logger.error({ err }, "history rollup failed; it is tried again at the next midnight or start");
      this.o.onError?.("rollup");
    }
    if (!this.stopped) this.prune();
  }

  /** Prunes history older than the retention, batch after batch, in the background. */
  prune(): void {
    if (this.pruning || this.pruningRuns) return;
    const cut = Date.now() - this.o.retentionMs;
    let total = 0;
    const next = async () => {
      this.pruning = undefined;
      this.pruningRuns = true;
      try {
        const deleted = await this.o.history.pruneStep(cut, PRUNE_BATCH);
        total += deleted;
        if (deleted > 0 && !this.stopped) this.pruning = setImmediate(() => void next());
        else if (total > 0) this.o.logger.info({ rows: total, before: new Date(cut).toISOString() }, "history pruned");
      } catch (err) {
        this.o.logger.error({ err }, "history pruning failed; it is tried again at the next midnight or start");
        this.o.onError?.("prune");
      } finally {
        this.pruningRuns = false;
      }
    };
    this.pruning = setImmediate(() => void next());
  }
}
