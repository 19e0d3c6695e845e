/** A firing `down` alert for the bot anna, for channel and composition tests to adjust with overrides. */
import type { AlertCheck, AlertMessage } from "../../src/alerts/types.ts";

/** A failing token check; each call returns a fresh object. */
export function alertCheck(overrides: Partial<AlertCheck> = {}): AlertCheck {
  return {
    check: "token",
    status: "fail",
    message: "getMe: 401 Unauthorized",
    remediation: "Issue a new token with @BotFather.",
    since: "2026-03-01T10:00:00Z",
    ...overrides,
  };
}

/** The bot anna firing `down` on a failing token check, without a status-page url. Each call returns fresh objects. */
export function alertMessage(overrides: Partial<AlertMessage> = {}): AlertMessage {
  return {
    key: "anna",
    scope: "bot",
    kind: "firing",
    bot: { name: "anna", username: "anna_secretary_bot", labels: {} },
    severity: "down",
    health: "down",
    since: "2026-03-01T10:00:00Z",
    at: "2026-03-01T10:02:00Z",
    activeUntil: "2026-03-01T18:02:00Z",
    summary: "anna (@anna_secretary_bot) is down",
    checks: [alertCheck()],
    ...overrides,
  };
}
