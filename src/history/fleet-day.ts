import { DAY_MS } from "./spans.ts";
import { healthCode, type BotIds, type Transitions } from "./health-pass.ts";
import { ask, type PackedDay, type Reads } from "./stored-rows.ts";

/**
 * The fleet's running totals at the end of one rolled-up day, by bot id (migration 003): what the
 * day's `daily_uptime` rows hold for the fleet read, in arrays instead of 10,000 rows.
 */
export interface FleetDay {
  known: Float64Array;
  up: Float64Array;
  healthy: Float64Array;
  /** Health codes (health-pass.ts) at the day's end; NONE for a bot without a row that day. */
  end: Uint8Array;
}

/**
 * `uptime_bots`, cached: the stored names only grow (a bot keeps its number for good), so the cache is
 * brought up to date with the rows added since, never re-read whole. Read-only: the rollup writes the
 * names a computation numbered (`CallIds.added`) inside its transaction, and the cache learns of them
 * from the table on the next `ids()`, so a rolled-back rollup leaves no trace in it.
 */
export class BotNames {
  private readonly names: string[] = [];
  private readonly numbers = new Map<string, number>();

  /** Ids for one computation: the stored ones, then the next numbers for bots not stored yet, as they come. */
  *ids(): Reads<CallIds> {
    for (const [id, bot] of yield* ask("botNumbers", this.names.length)) {
      // A read that ran alongside (another computation awaiting its rows) may have brought these in already.
      if (id < this.names.length && this.names[id] === bot) continue;
      if (id !== this.names.length) throw new Error(`uptime_bots: bot ${bot} is number ${id}, ${this.names.length} expected (the numbers run from 0 without holes)`);
      this.numbers.set(bot, this.names.length);
      this.names.push(bot);
    }
    return new CallIds(this.names, this.numbers);
  }
}

export class CallIds implements BotIds {
  private readonly stored: readonly string[];
  private readonly storedIds: ReadonlyMap<string, number>;
  private readonly extra: string[] = [];
  private readonly extraIds = new Map<string, number>();

  constructor(stored: readonly string[], storedIds: ReadonlyMap<string, number>) {
    // A copy of the length: the shared cache may grow while this computation runs.
    this.stored = stored.slice();
    this.storedIds = storedIds;
  }

  get size(): number {
    return this.stored.length + this.extra.length;
  }

  id(bot: string): number {
    const stored = this.storedIds.get(bot);
    if (stored !== undefined && stored < this.stored.length) return stored;
    let id = this.extraIds.get(bot);
    if (id === undefined) {
      id = this.size;
      this.extra.push(bot);
      this.extraIds.set(bot, id);
    }
    return id;
  }

  name(id: number): string {
    return id < this.stored.length ? this.stored[id]! : this.extra[id - this.stored.length]!;
  }

  /** The bots numbered beyond the stored ones: the rows the rollup adds to uptime_bots. */
  added(): [number, string][] {
    return this.extra.map((bot, i) => [this.stored.length + i, bot]);
  }
}

/** The day's totals: its packed row, or for a day rolled up before migration 003, its `daily_uptime` rows. */
export function* readFleetDay(day: number, ids: BotIds): Reads<FleetDay | undefined> {
  const packed = yield* ask("packedDay", day);
  if (packed) return decode(day, packed);
  const rows = yield* ask("dayTotals", day);
  if (rows.length === 0) return undefined;
  const numbered = rows.map((r) => ids.id(r[0]));
  const out = emptyDay(ids.size);
  rows.forEach(([, end, known, up, healthy], i) => {
    const id = numbered[i]!;
    out.end[id] = healthCode(end);
    out.known[id] = known;
    out.up[id] = up;
    out.healthy[id] = healthy;
  });
  return out;
}

/** The day's transitions from its packed row (undefined for a day without one: read health_transitions). */
export function* readDayTransitions(day: number): Reads<Transitions | undefined> {
  const bytes = yield* ask("packedTransitions", day);
  if (!bytes) return undefined;
  if (bytes.byteLength % 9 !== 0) throw new Error(`fleet_uptime day ${day}: ${bytes.byteLength} bytes of transitions, not a multiple of 9; delete the row to have it read from health_transitions`);
  const length = bytes.byteLength / 9;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Transitions = { length, bot: new Int32Array(length), at: new Float64Array(length), code: bytes.slice(8 * length) };
  for (let i = 0; i < length; i++) {
    out.bot[i] = view.getInt32(4 * i, true);
    out.at[i] = day * DAY_MS + view.getInt32(4 * (length + i), true);
  }
  return out;
}

/** The day's fleet_uptime row: its running totals and end healths, and its transitions (all within the day). */
export function packFleetDay(totals: FleetDay, day: number, transitions: Transitions): PackedDay & { transitions: Uint8Array } {
  const bots = totals.end.length;
  const bytes = new DataView(new ArrayBuffer(24 * bots));
  for (let i = 0; i < bots; i++) {
    bytes.setFloat64(8 * i, totals.known[i]!, true);
    bytes.setFloat64(8 * (bots + i), totals.up[i]!, true);
    bytes.setFloat64(8 * (2 * bots + i), totals.healthy[i]!, true);
  }
  return { bots, totals: new Uint8Array(bytes.buffer), endHealth: totals.end, transitions: packTransitions(day, transitions) };
}

function packTransitions(day: number, t: Transitions): Uint8Array {
  const n = t.length;
  const bytes = new Uint8Array(9 * n);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    view.setInt32(4 * i, t.bot[i]!, true);
    view.setInt32(4 * (n + i), t.at[i]! - day * DAY_MS, true);
  }
  bytes.set(t.code.subarray(0, n), 8 * n);
  return bytes;
}

export function emptyDay(bots: number): FleetDay {
  return { known: new Float64Array(bots), up: new Float64Array(bots), healthy: new Float64Array(bots), end: new Uint8Array(bots) };
}

function decode(day: number, { bots, totals, endHealth: end }: PackedDay): FleetDay {
  if (totals.byteLength !== 24 * bots || end.byteLength !== bots) {
    throw new Error(`fleet_uptime day ${day}: ${totals.byteLength} bytes of totals and ${end.byteLength} of healths for ${bots} bots (${24 * bots} and ${bots} expected); delete the row to have it read from daily_uptime`);
  }
  const view = new DataView(totals.buffer, totals.byteOffset, totals.byteLength);
  const out = emptyDay(bots);
  for (let i = 0; i < bots; i++) {
    out.known[i] = view.getFloat64(8 * i, true);
    out.up[i] = view.getFloat64(8 * (bots + i), true);
    out.healthy[i] = view.getFloat64(8 * (2 * bots + i), true);
  }
  out.end.set(end);
  return out;
}
