/** Alert fixtures: a firing `down` alert for the bot anna, for channel and composition tests to adjust with overrides, and sweeps to feed the engine. */
import type { AlertCheck, AlertMessage } from "../../src/alerts/types.ts";
import type { BotStatus, Health, MonitoredBot } from "../../src/model.ts";

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

/** A finished sweep of `bot` at `at` with `health`, on one token check that agrees with it: what the alert engine is fed. */
export function botSweep(bot: Pick<MonitoredBot, "name" | "username">, health: Health, at: Date): BotStatus {
  const iso = at.toISOString();
  const status = health === "healthy" ? "ok" : health === "unknown" ? "unknown" : "fail";
  return {
    name: bot.name,
    username: bot.username,
    health,
    since: iso,
    checkedAt: iso,
    checks: [{ check: "token", status, ...(status !== "ok" && { message: "getMe failed", remediation: "look" }), durationMs: 1, at: iso, since: iso }],
    observed: {},
  };
}
