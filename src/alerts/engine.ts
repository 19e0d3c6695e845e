import type { Logger } from "pino";
import { armInterval } from "../clock.ts";
import type { BotStatus, MonitoredBot } from "../model.ts";
import type { KeyValueRepository, ListRepository } from "../store/repositories.ts";
import { composeMessage, composeMonitorMessage, MONITOR_KEY, type ComposeOptions } from "./compose.ts";
import type { Outbox, OutboxEntry } from "./outbox.ts";
import { tallyReachability, telegramUnreachable } from "./reachability.ts";
import { isMuted, type Silence } from "./silences.ts";
import { isIdle, step, type AlertEvent, type AlertPolicy, type AlertState, type Observation } from "./state-machine.ts";
import type { AlertMessage, Channel, Severity } from "./types.ts";
import type { HistoryLog } from "../history/history.ts";
import type { IncidentCheck } from "../history/incidents.ts";
import { alertHistoryEvents } from "./history-events.ts";
import { ownerStep } from "./owner-notices.ts";
import { escalationStep } from "./escalation.ts";
import type { WallSteps } from "../wall-steps.ts";

/** What the engine keeps in the state store (alert states) and reads there (the admin API's silences). */
export interface AlertStore {
  readonly alerts: KeyValueRepository<AlertState>;
  readonly silences: Pick<ListRepository<Silence>, "list">;
}

export interface AlertEngineOptions {
  store: AlertStore;
  outbox: Outbox;
  logger: Logger;
  policy: AlertPolicy;
  publicUrl?: string;
  /**
   * Config maintenance windows as silences (API silences live in the store): fixed, or those in effect or
   * next at an instant (recurring windows, maintenance-windows.ts).
   */
  maintenance: readonly Silence[] | ((at: Date) => readonly Silence[]);
  /** The latest result of every watched bot (the latest sweep round). */
  statuses: () => Iterable<BotStatus>;
  /** How often the monitor-level alert is evaluated: one "sweep" of that alert. */
  monitorEvaluationMs: number;
  /** Counts an alert step that failed (secretary_alert_errors_total); it is logged too. */
  onError?: (key: string, err: unknown) => void;
  now?: () => Date;
  /** Where firings, escalations, reminders, silencings and resolutions are recorded (README, "Storage and history"). */
  history?: Pick<HistoryLog, "recordAlert">;
  /**
   * Replicas: whether this replica owns the alert `key` (a bot's, or "monitor"), which is to say holds
   * its shard. Only the owner steps an alert, so one replica notifies; the others hold its state, kept
   * current by the store's change feed, for a takeover. Default: every alert.
   */
  owns?: (key: string) => boolean;
  /** The configured channels, for their `after`: a channel that sets it hears of an alert only once it has fired that long. */
  channels?: readonly Pick<Channel, "name" | "after">[];
  /** Wall-clock steps: the firing alerts count them, and their waits leave them out (state-machine.ts, `stepMs`). */
  wallSteps?: WallSteps;
}

/** What one alert's step needs, built inside the step so that any failure in it is the step's. */
interface Decision {
  observation: Observation;
  compose: (event: AlertEvent) => AlertMessage;
  /** The failing checks, for the incident. */
  checks: IncidentCheck[];
  /** A bot's: what its profile owner is told beside the alert (owner-notices.ts), given the alert's step. */
  owner?: (previous: AlertState | undefined, state: AlertState) => { state: AlertState; messages: AlertMessage[] };
}

/**
 * Connects sweeps to the pure state machine and the outbox. After each bot's sweep it advances that
 * bot's alert; on its own timer it advances the monitor-level alert from the latest sweep round.
 * Alert state lives in the store, so a restart continues where it stopped. Nothing here waits for a
 * delivery: the outbox does that on its own time.
 *
 * Each step is all or nothing: the next state and every message it owes are worked out first, then
 * the state and the outbox entries are changed together, in one synchronous step (so one state
 * write holds both). When anything fails, nothing changes: the alert stays as it was, so the next
 * sweep tries again, and the error is logged with the alert's key and counted. An alert marked as
 * notified without its notification queued would be lost for good.
 */
export class AlertEngine {
  private readonly o: AlertEngineOptions;
  private timer: NodeJS.Timeout | undefined;
  /** Firings already recorded as silenced, by alert key (their `since`): "silenced" is recorded once. */
  private readonly silencedFirings = new Map<string, string>();
  /** Channels with `after` (milliseconds): they take none of the alert's own notifications (escalation.ts). */
  private delays: ReadonlyMap<string, number>;

  constructor(options: AlertEngineOptions) {
    this.o = options;
    this.delays = delaysOf(options.channels);
    // What the outbox delivered is recorded on the alert it announces (see `delivered`).
    options.outbox.listen((channel, _kind, result, message) => {
      if (result === "sent") this.delivered(message, channel);
    });
    options.wallSteps?.listen((step) => this.wallStepped(step.ms));
  }

  /** The wall clock stepped by `ms`: each firing alert counts it (`stepMs`), so no reminder or page comes early or late. */
  private wallStepped(ms: number): void {
    const firing = [...this.o.store.alerts.entries()].filter(([key, state]) => state.firing && this.owned(key));
    for (const [key, state] of firing) void this.o.store.alerts.put(key, { ...state, firing: { ...state.firing!, stepMs: (state.firing!.stepMs ?? 0) + ms } });
  }

  /** A reload: the policy, links and channels of the next step on (alert states are kept). */
  reconfigure(next: Pick<AlertEngineOptions, "policy" | "publicUrl" | "channels">): void {
    Object.assign(this.o, next);
    if (next.publicUrl === undefined) delete this.o.publicUrl;
    this.delays = delaysOf(next.channels);
  }

  private get compose(): ComposeOptions {
    return { publicUrl: this.o.publicUrl, repeatIntervalMs: this.o.policy.repeatIntervalMs };
  }

  /** Advances `bot`'s alert with its finished sweep. */
  onSweep(bot: MonitoredBot, status: BotStatus): void {
    if (!this.owned(bot.name)) return; // a sweep run here on request (the admin API's run) of another replica's bot
    this.o.wallSteps?.sample(); // a step since the last look moves the clocks before this step reads them
    this.transition(bot.name, () => {
      const checkedAt = Date.parse(status.checkedAt);
      // A sweep that straddled a wall-clock step is timed on the clock as it reads now (wall-steps.ts).
      const at = new Date(this.o.wallSteps ? this.o.wallSteps.current(checkedAt) : checkedAt);
      const silences = [...this.maintenanceAt(at), ...this.o.store.silences.list()];
      const muted = isMuted({ name: bot.name, labels: bot.labels }, silences, at);
      const checks = status.checks.filter((c) => c.status === "fail" || c.status === "warn").map((c) => ({ check: c.check, status: c.status, message: c.message ?? "" }));
      const reaches = (message: AlertMessage) => this.o.outbox.entriesFor(message).length > 0;
      return {
        observation: { health: status.health, at, muted },
        compose: (event) => composeMessage(event, status, bot, this.compose),
        checks,
        owner: (previous, state) => ownerStep({ previous, state, status, bot, muted, policy: this.o.policy, reaches }),
      };
    });
  }

  /** Advances the monitor-level alert: "the monitor cannot reach Telegram". */
  evaluateMonitor(): void {
    if (!this.owned(MONITOR_KEY)) return;
    this.o.wallSteps?.sample();
    this.transition(MONITOR_KEY, () => {
      const round = [...this.o.statuses()];
      const at = this.o.now?.() ?? new Date();
      const health = telegramUnreachable(round) ? "down" : "healthy";
      const info = () => {
        const tally = tallyReachability(round);
        const sample = [
          ...new Set(round.flatMap((s) => s.checks.filter((c) => c.status === "unknown").map((c) => c.message ?? ""))),
        ].slice(0, 3);
        return { unknownBots: tally.unknownBots, totalBots: tally.sweptBots, sample };
      };
      return { observation: { health, at, muted: false }, compose: (event) => composeMonitorMessage(event, info(), this.compose), checks: [] };
    });
  }

  /** Forgets a removed bot's alert state; an alert firing for it resolves in the history (its bot is gone). */
  forget(name: string): void {
    const previous = this.o.store.alerts.get(name);
    if (previous?.firing) this.record(name, previous, { ...previous, firing: null }, [], (this.o.now?.() ?? new Date()).getTime(), false, []);
    void this.o.store.alerts.delete(name);
  }

  start(): void {
    this.timer = armInterval(() => this.evaluateMonitor(), this.o.monitorEvaluationMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The alert state of `key` (a bot's name), or undefined when nothing is going on. Read-only. */
  alertState(key: string): Readonly<AlertState> | undefined {
    return this.o.store.alerts.get(key);
  }

  /** Consecutive bad sweeps before an alert fires. */
  get failAfter(): number {
    return Math.max(1, this.o.policy.failAfter);
  }

  /** Every silence, active or not: the config's maintenance windows and the admin API's silences. */
  silences(): { maintenance: readonly Silence[]; silences: readonly Silence[] } {
    return { maintenance: this.maintenanceAt(this.o.now?.() ?? new Date()), silences: this.o.store.silences.list() };
  }

  private maintenanceAt(at: Date): readonly Silence[] {
    const m = this.o.maintenance;
    return typeof m === "function" ? m(at) : m;
  }

  /**
   * The outbox delivered `message` to `channel`: recorded on the alert it announces, so the status
   * page can say who was told. A delivery of an alert that has since resolved (or of another streak's)
   * is not this alert's news.
   */
  delivered(message: AlertMessage, channel: string): void {
    if (message.kind !== "firing" && message.kind !== "reminder") return;
    const state = this.o.store.alerts.get(message.key);
    const firing = state?.firing;
    if (!state || !firing || firing.since !== message.since) return;
    void this.o.store.alerts.put(message.key, { ...state, firing: { ...firing, deliveredTo: { ...firing.deliveredTo, [channel]: message.at } } });
  }

  /** Firing bot alerts by severity (secretary_alerts_firing). */
  firing(): Record<Severity, number> {
    const counts: Record<Severity, number> = { degraded: 0, down: 0 };
    for (const [key, state] of this.o.store.alerts.entries())
      if (key !== MONITOR_KEY && state.firing && this.owned(key)) counts[state.firing.severity]++;
    return counts;
  }

  private owned(key: string): boolean {
    return this.o.owns?.(key) ?? true;
  }

  /** One alert's step, all or nothing (see the class comment). */
  private transition(key: string, decide: () => Decision): void {
    try {
      const { observation, compose, checks, owner } = decide();
      const alerts = this.o.store.alerts;
      const previous = alerts.get(key);
      const stepped = step(previous, observation, this.o.policy);
      const { events } = stepped;
      const told = owner?.(previous, stepped.state) ?? { state: stepped.state, messages: [] };
      const routeTo = (channel: string, event: AlertEvent) => this.o.outbox.entriesFor(compose(event)).filter((e) => e.channel === channel);
      const escalated = escalationStep({ previous, state: told.state, observation, policy: this.o.policy, delays: this.delays, accepts: (channel, event) => routeTo(channel, event).length > 0 });
      const state = escalated.state;
      const owed = events.map((event) => ({ event, message: compose(event) }));
      const entries: OutboxEntry[] = [
        ...[...owed.map(({ message }) => message), ...told.messages].flatMap((message) => this.o.outbox.entriesFor(message)).filter((e) => !this.delays.has(e.channel)),
        ...escalated.owed.flatMap(({ channel, event }) => routeTo(channel, event)),
      ];
      // Everything is computed: from here on nothing throws, and state and outbox change together
      // (one synchronous step: one commit).
      if (isIdle(state)) void alerts.delete(key);
      else void alerts.put(key, state);
      const queued = this.o.outbox.add(entries);
      this.record(key, previous, state, events, observation.at.getTime(), observation.muted, checks);
      for (const { event } of owed)
        this.o.logger.info({ alert: key, kind: event.kind, severity: event.severity, since: event.since }, `alert ${event.kind}`);
      for (const { channel, event } of escalated.owed)
        this.o.logger.info({ alert: key, channel, kind: event.kind, severity: event.severity, since: event.since }, `alert ${event.kind} escalated to ${channel}`);
      queued.catch((err: unknown) => this.fail(key, err, "notification queued, but not delivered"));
    } catch (err) {
      this.fail(key, err, "alert step failed; the alert is unchanged and the next sweep tries again");
    }
  }

  /** The step's events in the history, in the same synchronous step as the state (one commit). */
  private record(key: string, previous: AlertState | undefined, state: AlertState, events: readonly AlertEvent[], at: number, muted: boolean, checks: IncidentCheck[]): void {
    if (!this.o.history) return;
    const silencedBefore = this.silencedFirings.get(key) === state.firing?.since;
    for (const event of alertHistoryEvents({ key, previous, state, events, at, muted, silencedBefore, checks })) this.o.history.recordAlert(event);
    if (muted && state.firing) this.silencedFirings.set(key, state.firing.since);
    else if (!state.firing) this.silencedFirings.delete(key);
  }

  private fail(key: string, err: unknown, what: string): void {
    this.o.logger.error({ err, alert: key }, what);
    this.o.onError?.(key, err);
  }
}

function delaysOf(channels: AlertEngineOptions["channels"]): ReadonlyMap<string, number> {
  return new Map((channels ?? []).filter((c) => (c.after ?? 0) > 0).map((c) => [c.name, c.after ?? 0]));
}
