/** A write waiting for its commit. */
interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The commit bookkeeping a store's Durability face reads (src/store/repositories.ts): commits numbered as
 * they start, the newest that reached the disk, whether the last one failed, who waits for the next one
 * and who hears of each success.
 */
export class CommitLedger {
  private started = 0;
  private durable = 0;
  private failing = false;
  private waiters: Waiter[] = [];
  private readonly written = new Set<() => void>();

  mark(): number {
    return this.started;
  }

  isOnDisk(mark: number): boolean {
    return this.durable > mark;
  }

  get writable(): boolean {
    return this.durable > 0 && !this.failing;
  }

  /** True from a failed commit until one succeeds. */
  get failed(): boolean {
    return this.failing;
  }

  /** Writers waiting for the next commit. */
  get waiting(): number {
    return this.waiters.length;
  }

  onWritten(listener: () => void): () => void {
    this.written.add(listener);
    return () => this.written.delete(listener);
  }

  /** A promise for the next commit. */
  next(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** A commit starts: its number, and the writers it answers. */
  begin(): { number: number; waiters: Waiter[] } {
    return { number: ++this.started, waiters: this.waiters.splice(0) };
  }

  /** Nothing needed writing: the writers waiting are answered. */
  none(): void {
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  succeeded(commit: { number: number; waiters: Waiter[] }): void {
    this.durable = commit.number;
    this.failing = false;
    for (const w of commit.waiters) w.resolve();
    for (const listener of this.written) listener();
  }

  rejected(commit: { waiters: Waiter[] }, err: Error): void {
    this.failing = true;
    for (const w of commit.waiters) w.reject(err);
  }
}
