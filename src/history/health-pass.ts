import type { Health } from "../model.ts";
import type { Span } from "./spans.ts";
import type { KnownHealth } from "./uptime.ts";

/**
 * The fleet-wide arithmetic of history/uptime.ts without an object per bot (README, "Storage and
 * history"): bots are small integers (BotIndex), healths are codes, and each bot's known, up and
 * healthy milliseconds over a stretch of time are added into typed arrays in one pass over that
 * stretch's transitions. The figures are the ones timeline() and durationsOf() give: a bot's health
 * holds from one transition to the next, counts only while the monitor ran (CoveredTime) and only when
 * known; all of it integer milliseconds, so sums and differences of pieces are exact.
 */
export const NONE = 0;
const CODES: Record<Health, number> = { healthy: 1, degraded: 2, down: 3, unknown: 4 };
const HEALTHS: readonly (Health | null)[] = [null, "healthy", "degraded", "down", "unknown"];
/** worstOf()'s order, by code: none and unknown are not known, so never the worst. */
const RANK = [-1, 0, 1, 2, -1];
const WORST: readonly (KnownHealth | null)[] = [null, "healthy", "degraded", "down"];

export const healthCode = (health: Health | null): number => (health === null ? NONE : CODES[health]);
export const healthOf = (code: number): Health | null => HEALTHS[code] ?? null;
/** The worst known health of a rank tallyPass() kept (-1: nothing known). */
export const worstHealth = (rank: number): KnownHealth | null => WORST[rank + 1] ?? null;

/** Bot names as array indexes for one computation: `names[id]`. */
export interface BotIds {
  readonly size: number;
  id(bot: string): number;
  name(id: number): string;
}

/** The monitor's covered time as a function: `before(t)` is how much of (-∞, t) the runs cover. */
export class CoveredTime {
  private readonly from: Float64Array;
  private readonly to: Float64Array;
  /** Covered time before span i. */
  private readonly prefix: Float64Array;

  /** `spans` sorted and disjoint, as coverage() returns them. */
  constructor(spans: readonly Span[]) {
    this.from = Float64Array.from(spans, (s) => s.from);
    this.to = Float64Array.from(spans, (s) => s.to);
    this.prefix = new Float64Array(spans.length);
    for (let i = 1; i < spans.length; i++) this.prefix[i] = this.prefix[i - 1]! + (this.to[i - 1]! - this.from[i - 1]!);
  }

  before(t: number): number {
    let lo = 0;
    let hi = this.from.length - 1;
    if (hi < 0 || t <= this.from[0]!) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.from[mid]! < t) lo = mid;
      else hi = mid - 1;
    }
    return this.prefix[lo]! + Math.min(t, this.to[lo]!) - this.from[lo]!;
  }

  between(from: number, to: number): number {
    return to > from ? this.before(to) - this.before(from) : 0;
  }
}

/**
 * Transitions of a stretch of time, columnar, in time order: `bot[i]` changed to `code[i]` at `at[i]`.
 * Transitions of one bot at the same millisecond are one, the last recorded (as botWindow orders them:
 * by time, then id), since only the last one holds for any time.
 */
export interface Transitions {
  length: number;
  bot: Int32Array;
  at: Float64Array;
  code: Uint8Array;
}

/** Rows `[bot, at, health, id]` ordered by at, then bot (health_transitions_by_time gives that order). */
export function transitionsFrom(rows: readonly (readonly unknown[])[], ids: BotIds): Transitions {
  const out: Transitions = { length: 0, bot: new Int32Array(rows.length), at: new Float64Array(rows.length), code: new Uint8Array(rows.length) };
  let lastId = 0;
  for (const row of rows) {
    const bot = ids.id(row[0] as string);
    const at = Number(row[1]);
    const code = healthCode(row[2] as Health);
    const id = Number(row[3]);
    const n = out.length;
    if (n > 0 && out.at[n - 1] === at && out.bot[n - 1] === bot) {
      if (id > lastId) {
        out.code[n - 1] = code;
        lastId = id;
      }
      continue;
    }
    out.bot[n] = bot;
    out.at[n] = at;
    out.code[n] = code;
    out.length = n + 1;
    lastId = id;
  }
  return out;
}

/** Known, up and healthy milliseconds per bot id. */
export class Tally {
  readonly known: Float64Array;
  readonly up: Float64Array;
  readonly healthy: Float64Array;

  constructor(size: number) {
    this.known = new Float64Array(size);
    this.up = new Float64Array(size);
    this.healthy = new Float64Array(size);
  }

  add(bot: number, code: number, ms: number): void {
    if (code === NONE || code === CODES.unknown) return;
    this.known[bot]! += ms;
    if (code !== CODES.down) this.up[bot]! += ms;
    if (code === CODES.healthy) this.healthy[bot]! += ms;
  }
}

export interface Pass {
  /** Each bot's health where the transitions start (`scanFrom`); NONE for a bot not seen yet. Not changed. */
  starts: Uint8Array;
  /** Every transition in [scanFrom, to). */
  transitions: Transitions;
  /** The time counted: [countFrom, to), countFrom at or after the transitions' start. */
  countFrom: number;
  to: number;
  covered: CoveredTime;
  /** Adds each bot's time into this tally, times `sign` (-1: a piece to take away from a sum). */
  into: Tally;
  sign: 1 | -1;
  /** When given: each bot's worst known health over the counted time, as a rank (-1: nothing known). */
  worst?: Int8Array;
}

/** One pass over the transitions; returns each bot's health at `to` (the end). */
export function tallyPass(p: Pass): Uint8Array {
  const size = p.into.known.length;
  const health = new Uint8Array(size);
  health.set(p.starts.subarray(0, Math.min(size, p.starts.length)));
  const since = new Float64Array(size).fill(p.countFrom);
  const segment = (bot: number, until: number) => {
    const from = since[bot]!;
    if (until <= from) return;
    const ms = p.covered.between(from, until);
    if (ms <= 0) return;
    const code = health[bot]!;
    p.into.add(bot, code, p.sign * ms);
    if (p.worst && RANK[code]! > p.worst[bot]!) p.worst[bot] = RANK[code]!;
  };
  const t = p.transitions;
  for (let i = 0; i < t.length; i++) {
    const bot = t.bot[i]!;
    const at = t.at[i]!;
    if (at >= p.to) break;
    if (at > p.countFrom) {
      segment(bot, at);
      since[bot] = at;
    }
    health[bot] = t.code[i]!;
  }
  for (let bot = 0; bot < size; bot++) segment(bot, p.to);
  return health;
}
