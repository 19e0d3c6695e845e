import type { DeliveryListener } from "../alerts/outbox.ts";
import type { HistoryLog } from "./history.ts";
import { incidentId } from "./incidents.ts";

/**
 * Every delivery attempt's outcome in the history (README, "Storage and history": channel, kind, result, attempts, error),
 * tied to the incident it announces; a test notification or a report belongs to none.
 */
export function notificationRecorder(log: Pick<HistoryLog, "recordNotification">): DeliveryListener {
  return (channel, kind, result, message, detail) =>
    log.recordNotification({
      at: Date.now(),
      alertKey: message.key,
      incidentId: kind === "test" || kind === "report" ? null : incidentId(message.key, Date.parse(message.since)),
      channel,
      kind,
      result,
      attempts: detail.attempts,
      error: detail.error ?? null,
    });
}
