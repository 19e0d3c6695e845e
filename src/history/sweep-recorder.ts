import type { BotStatus } from "../model.ts";
import type { HistoryLog } from "./history.ts";

/** A health transition's message: the failing checks, as the page lists them (bounded: it is a summary). */
export function healthMessage(status: BotStatus): string | null {
  const failing = status.checks.filter((c) => c.status !== "ok" && c.status !== "skipped").map((c) => `${c.check} ${c.status}${c.message ? `: ${c.message}` : ""}`);
  return failing.length === 0 ? null : failing.join("; ").slice(0, 1000);
}

/**
 * What a recorded result changes in the history (README, "Storage and history": every change, never every sweep): each check
 * whose status differs from the previous result's, and the bot's health when it differs. A result equal
 * to the previous one in every status records nothing. After a restart, `previous` is the stored result,
 * so the first sweep of a new run records only what really changed.
 */
export function recordSweep(log: HistoryLog, status: BotStatus, previous: BotStatus | undefined): void {
  const before = new Map(previous?.checks.map((c) => [c.check, c.status]));
  for (const c of status.checks) {
    if (before.get(c.check) === c.status) continue;
    log.recordCheck({ bot: status.name, check: c.check, at: Date.parse(c.at), status: c.status, message: c.message ?? null });
  }
  if (previous?.health === status.health) return;
  log.recordHealth(status.name, { at: Date.parse(status.since), health: status.health, message: healthMessage(status) });
}
