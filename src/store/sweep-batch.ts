import { armTimer } from "../clock.ts";

/**
 * The bots whose verdict held at their last sweep: only their sweep times changed, and those are written
 * in one batch at most every `intervalMs` (README, "Storage and history"). `due` is the batch the next
 * commit writes; `onDue` asks for that commit.
 */
export class SweepBatch {
  /** Bots waiting for the batch after this one. */
  private readonly waiting = new Set<string>();
  readonly due = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly onDue: () => void;

  constructor(intervalMs: number, onDue: () => void) {
    this.intervalMs = intervalMs;
    this.onDue = onDue;
  }

  add(bot: string): void {
    this.waiting.add(bot);
    this.timer ??= armTimer(() => {
      this.timer = undefined;
      this.release();
      this.onDue();
    }, this.intervalMs);
  }

  /** The bot's whole row is written instead, its sweep time with it. */
  drop(bot: string): void {
    this.waiting.delete(bot);
    this.due.delete(bot);
  }

  /** Everything waiting joins the next commit (a timer's tick, a close). */
  release(): void {
    for (const bot of this.waiting) this.due.add(bot);
    this.waiting.clear();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
