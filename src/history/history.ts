import type { AlertHistoryEvent, Incident } from "./incidents.ts";
import type { AuditEntry, CheckTransition, NotificationAttempt, Page } from "./events.ts";
import type { Span } from "./spans.ts";
import type { DayCell, HealthSegment, HealthTransition, Uptime } from "./uptime.ts";

/**
 * The history's two faces (README, "Storage and history"): what the service records as things
 * happen (HistoryLog) and what people read (HistoryReader). The store's engine implements both; times
 * are epoch ms, the HTTP and CLI views turn them into ISO strings.
 */

/** The uptime windows of /status, the page and the badges, by name. */
export const UPTIME_WINDOWS = {
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "90d": 90 * 86_400_000,
} as const;
export type UptimeWindow = keyof typeof UPTIME_WINDOWS;
export const isUptimeWindow = (name: string): name is UptimeWindow => Object.hasOwn(UPTIME_WINDOWS, name);

export type WindowUptimes = Record<UptimeWindow, Uptime>;

/**
 * What the service records. Each call is committed with the store's next commit (the same transaction
 * as the state change it goes with: an admin change and its audit line reach the disk together).
 */
export interface HistoryLog {
  /** A check's status changed. */
  recordCheck(transition: CheckTransition): void;
  /** A bot's health changed (`unknown` when it left the fleet: nothing is known of it after). */
  recordHealth(bot: string, transition: HealthTransition): void;
  /** An alert fired, escalated, reminded, was silenced or resolved. */
  recordAlert(event: AlertHistoryEvent): void;
  /** One notification delivery attempt's outcome. */
  recordNotification(attempt: NotificationAttempt): void;
  /** One admin change. */
  recordAudit(entry: AuditEntry): void;
}

/** One bot's history over [from, to): GET /status/bots/:name/history, the bot's page, the CLI. */
export interface BotHistoryWindow {
  bot: string;
  from: number;
  to: number;
  uptime: Uptime;
  /** Known health, in time order; the rest of the window is in `gaps`. */
  health: HealthSegment[];
  gaps: Span[];
  /** Incidents that overlap the window, newest first. */
  incidents: Incident[];
}

/**
 * What people read. Every read answers from the store's indexes and rollups (milliseconds at 10,000 bots).
 * Asynchronous, since an engine's client may be (PostgreSQL's is): a read that rejects is a store that
 * cannot answer now (unreachable, failing), and the views answer without the history (http/history-read.ts).
 */
export interface HistoryReader {
  /** Every bot's uptime over each window ending at `now`; a bot with no history is absent. */
  fleetUptime(now: number): Promise<Map<string, WindowUptimes>>;
  /** One bot's uptime over each window ending at `now` (null ratios when nothing is known). */
  botUptime(bot: string, now: number): Promise<WindowUptimes>;
  botHistory(bot: string, from: number, to: number): Promise<BotHistoryWindow>;
  /** One cell per UTC day of the `days` ending with today (`now`'s day), oldest first. */
  dailyBar(bot: string, now: number, days: number): Promise<DayCell[]>;
  /**
   * The same bars for many bots in one read (the page): `bots` only these, each present (all grey without
   * history); otherwise every bot with history.
   */
  fleetBars(now: number, days: number, bots?: readonly string[]): Promise<Map<string, DayCell[]>>;
  /** The bot's open incident, or null. */
  openIncident(bot: string): Promise<Incident | null>;
  /** Every open incident, by bot (/status: one read for the fleet). */
  openIncidents(): Promise<Map<string, Incident>>;
  /** Incidents overlapping [from, to), newest first. */
  incidents(query: Page & { bot?: string }): Promise<Incident[]>;
  /** Admin changes in [from, to), newest first. */
  audit(query: Page): Promise<AuditEntry[]>;
  /** Notification attempts in [from, to), newest first. */
  notifications(query: Page & { channel?: string; result?: string }): Promise<NotificationAttempt[]>;
}

export type History = HistoryLog & HistoryReader;
