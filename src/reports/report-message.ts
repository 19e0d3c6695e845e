import type { AlertMessage } from "../alerts/types.ts";
import type { ReportDigest } from "./digest-types.ts";
import { digestSummary } from "./render-digest.ts";

/** The outbox's key of a report's notifications: its own lane per channel, apart from every alert (bot names have no `/`). */
export const reportKey = (name: string): string => `report/${name}`;

/**
 * A report as a notification (README, "Reports"): kind `report`, with the digest itself in `report`,
 * so it is queued, retried, expired and counted by the outbox like every notification, and each channel
 * renders it in its own format. Its health is the fleet's as the digest was built: down when a bot is
 * down, degraded when one is failing, healthy otherwise (ntfy's priority, a card's colour).
 */
export function reportMessage(digest: ReportDigest, options: { publicUrl?: string | undefined } = {}): AlertMessage {
  const down = digest.failing.some((f) => f.health === "down");
  return {
    key: reportKey(digest.name),
    scope: "monitor",
    kind: "report",
    severity: down ? "down" : "degraded",
    health: down ? "down" : digest.failing.length > 0 ? "degraded" : "healthy",
    since: digest.from,
    at: digest.to,
    activeUntil: digest.to,
    summary: digestSummary(digest),
    checks: [],
    ...(options.publicUrl && { url: options.publicUrl }),
    report: digest,
  };
}
