import type { BotStatus, Health } from "../model.ts";
import { fleetStatus, healthSeverity, type FleetStatus } from "../health.ts";

/** SPEC §4 `/status` shapes. A bot not swept yet reads `unknown` with no checks. */
export interface BotView {
  name: string;
  username: string;
  health: Health;
  since: string | null;
  checks: Array<{ check: string; status: string; message?: string; remediation?: string; durationMs: number; at: string; since: string }>;
}

export interface FleetView {
  status: FleetStatus;
  checkedAt: string | null;
  bots: BotView[];
}

export function botView(bot: { name: string; username: string }, status: BotStatus | undefined): BotView {
  if (!status) return { name: bot.name, username: bot.username, health: "unknown", since: null, checks: [] };
  return {
    name: bot.name,
    username: bot.username,
    health: status.health,
    since: status.since,
    checks: status.checks.map(({ check, status, message, remediation, durationMs, at, since }) => ({
      check,
      status,
      ...(message !== undefined && { message }),
      ...(remediation !== undefined && status !== "ok" && { remediation }),
      durationMs,
      at,
      since,
    })),
  };
}

/** Worst first, then by name. */
export function fleetView(bots: Iterable<{ name: string; username: string }>, statusOf: (name: string) => BotStatus | undefined): FleetView {
  const views: BotView[] = [];
  let checkedAt: string | null = null;
  for (const bot of bots) {
    const status = statusOf(bot.name);
    if (status && (checkedAt === null || status.checkedAt > checkedAt)) checkedAt = status.checkedAt;
    views.push(botView(bot, status));
  }
  views.sort((a, b) => healthSeverity(a.health) - healthSeverity(b.health) || a.name.localeCompare(b.name));
  return { status: fleetStatus(views.map((v) => v.health)), checkedAt, bots: views };
}
