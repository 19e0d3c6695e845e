import type { Identified, KeyValueRepository, ListRepository } from "./repositories.ts";

/**
 * Tells the store that `key` changed (its value in memory is the new one, or gone) and returns the
 * commit that holds the change, or a resolved promise when nothing needs writing.
 */
export type Changed = (key: string) => Promise<void>;

const nothingWritten = Promise.resolve();

/**
 * A slice held in memory, by key: every read is served from here, never from disk (the store loads
 * everything at open). Insertion order is kept, as the lowdb document keeps it.
 */
export class MemoryTable<V> implements KeyValueRepository<V> {
  readonly map: Map<string, V>;
  private readonly changed: Changed;

  constructor(initial: Record<string, V>, changed: Changed) {
    this.map = new Map(Object.entries(initial));
    this.changed = changed;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  put(key: string, value: V): Promise<void> {
    this.map.set(key, value);
    return this.changed(key);
  }

  delete(key: string): Promise<void> {
    if (!this.map.delete(key)) return nothingWritten;
    return this.changed(key);
  }
}

/** A list of records with ids held in memory, oldest first; `update` keeps a record's place. */
export class MemoryList<E extends Identified> implements ListRepository<E> {
  readonly map: Map<string, E>;
  private readonly changed: Changed;

  constructor(initial: readonly E[], changed: Changed) {
    this.map = new Map(initial.map((e) => [e.id, e]));
    this.changed = changed;
  }

  get size(): number {
    return this.map.size;
  }

  list(): E[] {
    return [...this.map.values()];
  }

  get(id: string): E | undefined {
    return this.map.get(id);
  }

  add(records: readonly E[]): Promise<void> {
    if (records.length === 0) return nothingWritten;
    for (const r of records) this.map.set(r.id, r);
    // One commit for all of them: the changes are collected until the store commits (one transaction).
    let last = nothingWritten;
    for (const r of records) last = this.changed(r.id);
    return last;
  }

  update(record: E): Promise<void> {
    if (!this.map.has(record.id)) return nothingWritten;
    this.map.set(record.id, record);
    return this.changed(record.id);
  }

  remove(id: string): Promise<void> {
    if (!this.map.delete(id)) return nothingWritten;
    return this.changed(id);
  }
}
