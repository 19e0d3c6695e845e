import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { armInterval } from "../../clock.ts";
import type { SqliteHistoryStore } from "./history-store.ts";
import { pruneStep } from "./prune.ts";

export interface HistoryMaintenanceOptions {
  history: SqliteHistoryStore;
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
 * The history's housekeeping (README, "Storage and history"). The heartbeat is an interval of ours: the
 * monitor's known time reaches its last heartbeat, so a crash leaves a gap of no data rather than a
 * false "up". Rolling up the day that ended and pruning past `store.retention` are calendar-shaped, so
 * node-cron runs them just after midnight UTC (and once at start, for a monitor that was stopped
 * across midnight). Pruning runs in small batches, yielding to the event loop between them.
 */
export class HistoryMaintenance {
  private readonly o: HistoryMaintenanceOptions;
  private heartbeat: NodeJS.Timeout | undefined;
  private daily: ScheduledTask | undefined;
  private pruning: NodeJS.Immediate | undefined;

  constructor(options: HistoryMaintenanceOptions) {
    this.o = options;
  }

  start(): void {
    this.heartbeat = armInterval(() => this.o.history.heartbeat(Date.now()), this.o.heartbeatMs ?? 15_000);
    this.daily = cron.schedule("0 0 * * *", () => this.runDaily(), { timezone: "Etc/UTC", noOverlap: true, name: "history-daily" });
    // A monitor stopped across midnight rolls up the days it missed now; best-effort, like at midnight.
    this.runDaily();
  }

  stop(): void {
    clearInterval(this.heartbeat);
    void this.daily?.destroy();
    if (this.pruning) clearImmediate(this.pruning);
    this.pruning = undefined;
  }

  /** Rolls up the days that ended, then prunes. */
  runDaily(): void {
    try {
      const rolled = this.o.history.rollups.rollUp(Date.now(), this.o.history.liveRun);
      if (rolled > 0) this.o.logger.info({ days: rolled }, "history rolled up");
    } catch (err) {
      this.o.logger.error({ err }, "history rollup failed; it is tried again at the next midnight or start");
      this.o.onError?.("rollup");
    }
    this.prune();
  }

  /** Prunes history older than the retention, batch after batch, in the background. */
  prune(): void {
    if (this.pruning) return;
    const cut = Date.now() - this.o.retentionMs;
    let total = 0;
    const next = () => {
      this.pruning = undefined;
      try {
        const deleted = pruneStep(this.o.history.database, cut, PRUNE_BATCH);
        total += deleted;
        if (deleted > 0) this.pruning = setImmediate(next);
        else if (total > 0) this.o.logger.info({ rows: total, before: new Date(cut).toISOString() }, "history pruned");
      } catch (err) {
        this.o.logger.error({ err }, "history pruning failed; it is tried again at the next midnight or start");
        this.o.onError?.("prune");
      }
    };
    this.pruning = setImmediate(next);
  }
}
