import type { Identified, KeyValueRepository, ListRepository } from "./repositories.ts";

/**
 * Marks the document changed and returns the commit that will hold the change: the next background
 * write, or (urgent) the next write as soon as the flush interval allows. It never rejects unheard.
 */
export type Commit = () => Promise<void>;

const nothingWritten = Promise.resolve();

/** A slice of the lowdb document kept as an object by key (JSON: results, alerts, bots, connections). */
export class DocumentTable<V> implements KeyValueRepository<V> {
  private readonly slice: () => Record<string, V>;
  private readonly commit: Commit;

  constructor(slice: () => Record<string, V>, commit: Commit) {
    this.slice = slice;
    this.commit = commit;
  }

  get(key: string): V | undefined {
    const slice = this.slice();
    return Object.hasOwn(slice, key) ? slice[key] : undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.slice(), key);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const entry of Object.entries(this.slice())) if (entry[1] !== undefined) yield entry;
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  put(key: string, value: V): Promise<void> {
    this.slice()[key] = value;
    return this.commit();
  }

  delete(key: string): Promise<void> {
    if (!this.has(key)) return nothingWritten;
    delete this.slice()[key];
    return this.commit();
  }
}

/** A slice of the lowdb document kept as an array of records with ids (the outbox, the silences). */
export class DocumentList<E extends Identified> implements ListRepository<E> {
  private readonly slice: () => E[];
  private readonly commit: Commit;

  constructor(slice: () => E[], commit: Commit) {
    this.slice = slice;
    this.commit = commit;
  }

  get size(): number {
    return this.slice().length;
  }

  list(): E[] {
    return [...this.slice()];
  }

  get(id: string): E | undefined {
    return this.slice().find((r) => r.id === id);
  }

  add(records: readonly E[]): Promise<void> {
    if (records.length === 0) return nothingWritten;
    this.slice().push(...records);
    return this.commit();
  }

  update(record: E): Promise<void> {
    const slice = this.slice();
    const i = slice.findIndex((r) => r.id === record.id);
    if (i < 0) return nothingWritten;
    slice[i] = record;
    return this.commit();
  }

  remove(id: string): Promise<void> {
    const slice = this.slice();
    const i = slice.findIndex((r) => r.id === id);
    if (i < 0) return nothingWritten;
    slice.splice(i, 1);
    return this.commit();
  }
}
