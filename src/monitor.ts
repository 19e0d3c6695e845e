import type { Logger } from "pino";
import type { AnyCheck, CheckRegistry } from "./runner/define-check.ts";
import type { BotStatus, CheckResult, MonitoredBot } from "./model.ts";
import type { CheckedBot } from "./check-model.ts";
import { BotClient, type RequestObserver, type TelegramSettings } from "./telegram/client.ts";
import type { Transport } from "./telegram/transport.ts";
import { runOwnCheck, runSweep } from "./runner/sweep.ts";
import { botHealth } from "./health.ts";
import type { TestAccount } from "./testaccount/types.ts";
import type { KeyValueRepository } from "./store/repositories.ts";
import { registerSecret, forgetSecret } from "./redact.ts";

/** One observer for every bot without one (not a closure per BotClient). */
const ignoreRequest: RequestObserver = () => undefined;

export interface MonitorOptions {
  telegram: TelegramSettings;
  checks: CheckRegistry;
  /** Where each bot's last result lives (the state store's results). */
  store: { readonly results: KeyValueRepository<BotStatus> };
  transport: Transport;
  logger: Logger;
  onRequest?: RequestObserver;
  onCheck?: (bot: CheckedBot, result: CheckResult) => void;
  /** The Telegram user account for live tests (round-trip), when configured. */
  testAccount?: TestAccount;
  /** Hears every result kept, with the one it replaces (the history records what changed). */
  onRecorded?: (status: BotStatus, previous: BotStatus | undefined) => void;
}

/** A finished sweep: `recorded` false when the result was dropped (stopped, or the bot removed meanwhile). */
export interface Sweep {
  bot: MonitoredBot;
  status: BotStatus;
  recorded: boolean;
}

/** What follows a bot's recorded sweeps: the alert engine, the own-interval schedules. */
export interface SweepListener {
  onSweep(bot: MonitoredBot, status: BotStatus): void;
}

/** Hands each recorded sweep to `listeners` in order (the scheduler's `onSwept`). */
export function toListeners(listeners: readonly SweepListener[]): (name: string, sweep: Sweep) => void {
  return (_name, sweep) => {
    if (sweep.recorded) for (const listener of listeners) listener.onSweep(sweep.bot, sweep.status);
  };
}

interface Watched {
  bot: MonitoredBot;
  client: BotClient;
}

/**
 * The fleet and its last verdicts. Owns one BotClient per bot (so a 429 back-off is per bot),
 * runs sweeps on request (the scheduler decides when), and keeps each bot's last result in the
 * state store, which is the single place results live.
 */
export class Monitor {
  private readonly watched = new Map<string, Watched>();
  private closed = false;

  private readonly options: MonitorOptions;

  constructor(options: MonitorOptions) {
    this.options = options;
  }

  /** Adds or replaces a bot. */
  upsert(bot: MonitoredBot): void {
    const old = this.watched.get(bot.name);
    if (old && old.bot.token !== bot.token) forgetSecret(old.bot.token);
    registerSecret(bot.token);
    const client =
      old && old.bot.token === bot.token
        ? old.client
        : new BotClient(bot.token, this.options.telegram, this.options.transport, this.options.onRequest ?? ignoreRequest);
    this.watched.set(bot.name, { bot, client });
  }

  /** Stops watching `name` and drops its results. */
  remove(name: string): boolean {
    const old = this.watched.get(name);
    if (!old) return false;
    this.watched.delete(name);
    forgetSecret(old.bot.token);
    void this.options.store.results.delete(name);
    return true;
  }

  get(name: string): MonitoredBot | undefined {
    return this.watched.get(name)?.bot;
  }

  *bots(): IterableIterator<MonitoredBot> {
    for (const w of this.watched.values()) yield w.bot;
  }

  get size(): number {
    return this.watched.size;
  }

  status(name: string): BotStatus | undefined {
    return this.watched.has(name) ? this.options.store.results.get(name) : undefined;
  }

  *statuses(): IterableIterator<BotStatus> {
    const results = this.options.store.results;
    for (const name of this.watched.keys()) {
      const s = results.get(name);
      if (s) yield s;
    }
  }

  /**
   * Runs one sweep of `name` now and records it. Checks with their own interval are carried from
   * the last result unless `includeOwnSchedule` (a one-shot `check` runs everything). `signal`
   * cancels the sweep's Telegram calls and waits (the scheduler's, on stop).
   */
  async sweep(name: string, options: { includeOwnSchedule?: boolean; signal?: AbortSignal } = {}): Promise<Sweep> {
    const w = this.watched.get(name);
    if (!w) throw new Error(`no bot named "${name}"`);
    const previous = this.options.store.results.get(name);
    const status = await runSweep({
      bot: w.bot,
      checks: this.options.checks,
      client: w.client,
      previous,
      testAccount: this.options.testAccount,
      includeOwnSchedule: options.includeOwnSchedule ?? false,
      onCheck: this.options.onCheck,
      ...(options.signal && { signal: options.signal }),
    });
    return { bot: w.bot, status, recorded: this.record(w, status, previous) };
  }

  /** Runs one own-interval check (round-trip) of `name` against its latest status and records it. */
  async runOwn(name: string, check: AnyCheck, signal?: AbortSignal): Promise<BotStatus | undefined> {
    const w = this.watched.get(name);
    const status = this.options.store.results.get(name);
    if (!w || !status) return undefined;
    const next = await runOwnCheck({
      bot: w.bot,
      checks: this.options.checks,
      client: w.client,
      check,
      status,
      testAccount: this.options.testAccount,
      onCheck: this.options.onCheck,
      ...(signal && { signal }),
    });
    // A sweep may have finished meanwhile: merge into the newest status, not the one we started from.
    const latest = this.options.store.results.get(name) ?? status;
    const merged = latest === status ? next : withResult(latest, next.checks.find((c) => c.check === check.id)!);
    // Not a sweep: alert streaks count sweeps, and the next sweep carries this result to the alerts.
    this.record(w, merged, latest);
    return merged;
  }

  /** Stops recording: results of sweeps abandoned at shutdown arrive after the final flush. */
  close(): void {
    this.closed = true;
  }

  /** Keeps `status` as the bot's last result; false when it is dropped instead. */
  private record(w: Watched, status: BotStatus, previous: BotStatus | undefined): boolean {
    const name = w.bot.name;
    if (this.closed) return false;
    // The bot may have been removed or replaced while its sweep ran: do not resurrect it.
    if (this.watched.get(name) !== w) return false;
    void this.options.store.results.put(name, status);
    this.options.onRecorded?.(status, previous);
    this.log(status, previous);
    return true;
  }

  private log(status: BotStatus, previous: BotStatus | undefined): void {
    const failing = status.checks.filter((c) => c.status !== "ok" && c.status !== "skipped").map((c) => `${c.check}=${c.status}`);
    if (previous?.health !== status.health) {
      const level = status.health === "healthy" ? "info" : "warn";
      this.options.logger[level]({ bot: status.name, from: previous?.health ?? null, to: status.health, failing }, "bot health changed");
    } else {
      this.options.logger.debug({ bot: status.name, health: status.health, failing }, "sweep finished");
    }
  }
}

/** `status` with one check's result replaced (or added) and health recomputed. */
function withResult(status: BotStatus, result: CheckResult): BotStatus {
  const checks = status.checks.some((c) => c.check === result.check)
    ? status.checks.map((c) => (c.check === result.check ? result : c))
    : [...status.checks, result];
  const health = botHealth(checks);
  return { ...status, checks, health, since: health === status.health ? status.since : new Date().toISOString() };
}

