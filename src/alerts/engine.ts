import type { Logger } from "pino";
import { armInterval } from "../clock.ts";
import type { BotStatus, MonitoredBot } from "../model.ts";
import type { StateStore } from "../store/state-store.ts";
import { composeMessage, composeMonitorMessage, MONITOR_KEY, type ComposeOptions } from "./compose.ts";
import type { Outbox } from "./outbox.ts";
import { tallyReachability, telegramUnreachable } from "./reachability.ts";
import { isMuted, type Silence } from "./silences.ts";
import { isIdle, step, type AlertEvent, type AlertPolicy, type AlertState } from "./state-machine.ts";
import type { AlertMessage, Severity } from "./types.ts";

export interface AlertEngineOptions {
  store: StateStore;
  outbox: Outbox;
  logger: Logger;
  policy: AlertPolicy;
  publicUrl?: string;
  /** Config maintenance windows as silences (API silences live in the store). */
  maintenance: readonly Silence[];
  /** The latest result of every watched bot (the latest sweep round). */
  statuses: () => Iterable<BotStatus>;
  /** How often the monitor-level alert is evaluated: one "sweep" of that alert. */
  monitorEvaluationMs: number;
  now?: () => Date;
}

/**
 * Connects sweeps to the pure state machine and the outbox. After each bot's sweep it advances that
 * bot's alert; on its own timer it advances the monitor-level alert from the latest sweep round.
 * Alert state lives in the store, so a restart continues where it stopped. Nothing here waits for a
 * delivery: the outbox does that on its own time.
 */
export class AlertEngine {
  private readonly o: AlertEngineOptions;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AlertEngineOptions) {
    this.o = options;
  }

  private get compose(): ComposeOptions {
    return { publicUrl: this.o.publicUrl, repeatIntervalMs: this.o.policy.repeatIntervalMs };
  }

  /** Advances `bot`'s alert with its finished sweep. */
  onSweep(bot: MonitoredBot, status: BotStatus): void {
    const at = new Date(status.checkedAt);
    const silences = [...this.o.maintenance, ...this.o.store.data.silences];
    const muted = isMuted({ name: bot.name, labels: bot.labels }, silences, at);
    const events = this.advance(bot.name, { health: status.health, at, muted });
    for (const event of events) this.send(composeMessage(event, status, bot, this.compose), event);
  }

  /** Advances the monitor-level alert: "the monitor cannot reach Telegram". */
  evaluateMonitor(): void {
    const round = [...this.o.statuses()];
    const unreachable = telegramUnreachable(round);
    const at = this.o.now?.() ?? new Date();
    const events = this.advance(MONITOR_KEY, { health: unreachable ? "down" : "healthy", at, muted: false });
    if (events.length === 0) return;
    const tally = tallyReachability(round);
    const sample = [
      ...new Set(round.flatMap((s) => s.checks.filter((c) => c.status === "unknown").map((c) => c.message ?? ""))),
    ].slice(0, 3);
    for (const event of events)
      this.send(composeMonitorMessage(event, { unknownBots: tally.unknownBots, totalBots: tally.sweptBots, sample }, this.compose), event);
  }

  /** Forgets a removed bot's alert state. */
  forget(name: string): void {
    delete this.o.store.data.alerts[name];
    this.o.store.changed();
  }

  start(): void {
    this.timer = armInterval(() => this.evaluateMonitor(), this.o.monitorEvaluationMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The alert state of `key` (a bot's name), or undefined when nothing is going on. Read-only. */
  alertState(key: string): Readonly<AlertState> | undefined {
    return this.o.store.data.alerts[key];
  }

  /** Consecutive bad sweeps before an alert fires. */
  get failAfter(): number {
    return Math.max(1, this.o.policy.failAfter);
  }

  /** Every silence, active or not: the config's maintenance windows and the admin API's silences. */
  silences(): { maintenance: readonly Silence[]; silences: readonly Silence[] } {
    return { maintenance: this.o.maintenance, silences: this.o.store.data.silences };
  }

  /**
   * The outbox delivered `message` to `channel`: recorded on the alert it announces, so the status
   * page can say who was told. A delivery of an alert that has since resolved (or of another streak's)
   * is not this alert's news.
   */
  delivered(message: AlertMessage, channel: string): void {
    if (message.kind !== "firing" && message.kind !== "reminder") return;
    const firing = this.o.store.data.alerts[message.key]?.firing;
    if (!firing || firing.since !== message.since) return;
    firing.deliveredTo = { ...firing.deliveredTo, [channel]: message.at };
    this.o.store.changed();
  }

  /** Firing bot alerts by severity (secretary_alerts_firing). */
  firing(): Record<Severity, number> {
    const counts: Record<Severity, number> = { degraded: 0, down: 0 };
    for (const [key, state] of Object.entries(this.o.store.data.alerts))
      if (key !== MONITOR_KEY && state.firing) counts[state.firing.severity]++;
    return counts;
  }

  private advance(key: string, observation: Parameters<typeof step>[1]): AlertEvent[] {
    const { state, events } = step(this.o.store.data.alerts[key], observation, this.o.policy);
    const previous: AlertState | undefined = this.o.store.data.alerts[key];
    if (isIdle(state)) {
      if (previous) delete this.o.store.data.alerts[key];
    } else this.o.store.data.alerts[key] = state;
    if (previous || !isIdle(state)) this.o.store.changed();
    return events;
  }

  private send(message: AlertMessage, event: AlertEvent): void {
    this.o.logger.info({ alert: message.key, kind: event.kind, severity: event.severity, since: event.since }, `alert ${event.kind}`);
    this.o.outbox.enqueue(message).catch((err: Error) => this.o.logger.error({ err, alert: message.key }, "could not queue notification"));
  }
}
