import type { Health } from "../model.ts";
import type { CheckTransition } from "./events.ts";
import type { HealthTransition, KnownHealth, MonitorRun } from "./uptime.ts";

/**
 * The stored rows the uptime computations read (the fleet's uptime, the bars, the daily rollup), named by
 * what they hold rather than by their SQL, so that one computation serves both engines (README, "Storage
 * and history"). A computation is a generator that yields each read it needs (`ask`) and is handed that
 * read's rows back: SQLite answers at once (`readSync`: the computation runs to its end within the call,
 * inside the caller's transaction, as before there were two engines); PostgreSQL awaits each answer
 * (`readAsync`). Times are epoch ms, days UTC days since the epoch.
 */
export interface StoredRows {
  /** The last rolled-up day (daily_uptime), or undefined. */
  lastRolledDay(): number | undefined;
  /** The earliest health transition's time, or undefined. */
  firstTransitionAt(): number | undefined;
  /** uptime_bots rows numbered `from` and up, by number: [number, bot]. */
  botNumbers(from: number): (readonly [number, string])[];
  /** The day's packed fleet_uptime totals (migration 003), or undefined. */
  packedDay(day: number): PackedDay | undefined;
  /** The day's packed transitions, or undefined. */
  packedTransitions(day: number): Uint8Array | undefined;
  /** The day's daily_uptime rows: [bot, end health, cum known, cum up, cum healthy]. */
  dayTotals(day: number): (readonly [string, Health | null, number, number, number])[];
  /** Every transition in [from, to): [bot, at, health, id], by time, then bot. */
  transitions(from: number, to: number): (readonly [string, number, Health, number])[];
  /** Every bot's last health before `at`: [bot, health], in the order they were recorded. */
  lastHealthsBefore(at: number): (readonly [string, Health])[];
  /** The monitor's runs overlapping [from, to), by start; a run still going (this process's) lasts until `to`. */
  runs(from: number, to: number): MonitorRun[];
  /** One bot's history over [from, to). */
  botWindow(bot: string, from: number, to: number): BotWindow;
  /** Every bot with a health transition. */
  botsWithHistory(): string[];
  /** These bots' daily_uptime cells of the days `first` … `last`: [bot, day, worst, known ms, up ms]. */
  dayCells(bots: readonly string[], first: number, last: number): (readonly [string, number, KnownHealth | null, number, number])[];
  /** These bots' transitions in [from, to): [bot, at, health], by time, then id. */
  transitionsOf(bots: readonly string[], from: number, to: number): (readonly [string, number, Health])[];
  /** Each of these bots' last transition before `at` (absent: none). */
  lastTransitionsBefore(bots: readonly string[], at: number): Map<string, HealthTransition>;
}

/** A fleet_uptime row as stored. */
export interface PackedDay {
  bots: number;
  totals: Uint8Array;
  endHealth: Uint8Array;
}

/** One bot's stored history over a window: what history/uptime.ts needs of it. */
export interface BotWindow {
  before: HealthTransition | undefined;
  transitions: HealthTransition[];
  checks: CheckTransition[];
  /** The bot's first transition, ever kept: its first sweep. */
  firstSeen: number | undefined;
  runs: MonitorRun[];
}

export type StoredRead = keyof StoredRows;
type Answer<K extends StoredRead> = ReturnType<StoredRows[K]>;
export type Ask = { [K in StoredRead]: { read: K; args: Parameters<StoredRows[K]> } }[StoredRead];

/** A computation over stored rows, returning T. */
export type Reads<T> = Generator<Ask, T, unknown>;

/** The same rows, each read answered by a promise (an engine with a network client). */
export type AsyncStoredRows = { [K in StoredRead]: (...args: Parameters<StoredRows[K]>) => Promise<Answer<K>> };

/** One read: `const rows = yield* ask("transitions", from, to)`. */
export function* ask<K extends StoredRead>(read: K, ...args: Parameters<StoredRows[K]>): Generator<Ask, Answer<K>, unknown> {
  return (yield { read, args } as Ask) as Answer<K>;
}

type AnyRead = (...args: unknown[]) => unknown;

/** Runs the computation to its end, each read answered at once. */
export function readSync<T>(reads: Reads<T>, rows: StoredRows): T {
  let step = reads.next();
  while (!step.done) step = reads.next((rows[step.value.read] as AnyRead).apply(rows, step.value.args));
  return step.value;
}

/** Runs the computation, awaiting each read. */
export async function readAsync<T>(reads: Reads<T>, rows: AsyncStoredRows): Promise<T> {
  let step = reads.next();
  while (!step.done) step = reads.next(await (rows[step.value.read] as AnyRead).apply(rows, step.value.args));
  return step.value;
}
