/** Routing shared by every channel: minHealth, the bots label selector, monitor scope, test kind. */
import { describe, expect, it } from "vitest";
import { accepts } from "../../../src/alerts/channels/routing.ts";
import type { Route } from "../../../src/alerts/channels/routing.ts";
import type { AlertKind, AlertMessage, Severity } from "../../../src/alerts/types.ts";
import { alertMessage } from "../../support/alert-fixtures.ts";

const message = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({
    bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip", region: "eu" } },
    severity: "degraded",
    health: "degraded",
    summary: "anna (@anna_secretary_bot) is degraded",
    checks: [],
    ...overrides,
  });

const route = (r: Partial<Route> = {}): Route => ({ minHealth: "degraded", bots: {}, ...r });

describe("routing", () => {
  const table: [Route["minHealth"], Severity, AlertKind, boolean][] = [
    ["degraded", "degraded", "firing", true],
    ["degraded", "down", "firing", true],
    ["degraded", "degraded", "resolved", true],
    ["degraded", "down", "reminder", true],
    ["down", "degraded", "firing", false],
    ["down", "degraded", "reminder", false],
    ["down", "degraded", "resolved", false],
    ["down", "down", "firing", true],
    ["down", "down", "reminder", true],
    ["down", "down", "resolved", true],
    ["down", "degraded", "test", true],
  ];
  it.each(table)("when minHealth is %s and a %s %s notification comes, then accepted is %s", (minHealth, severity, kind, expected) => {
    expect(accepts(route({ minHealth }), message({ severity, kind }))).toBe(expected);
  });

  it("when the escalation to down arrives at a down-only channel, then it is accepted", () => {
    expect(accepts(route({ minHealth: "down" }), message({ severity: "down", escalatedFrom: "degraded", health: "down" }))).toBe(true);
  });

  it("when the selector is empty, then every bot matches", () => {
    expect(accepts(route(), message())).toBe(true);
  });

  it("when every selector pair matches the bot's labels, then accepted", () => {
    expect(accepts(route({ bots: { tier: "vip", region: "eu" } }), message())).toBe(true);
  });

  it("when one selector pair differs or is missing, then refused", () => {
    expect(accepts(route({ bots: { tier: "vip", region: "us" } }), message())).toBe(false);
    expect(accepts(route({ bots: { team: "x" } }), message())).toBe(false);
  });

  it("when the selector has a name key, then it matches the bot's name", () => {
    expect(accepts(route({ bots: { name: "anna" } }), message())).toBe(true);
    expect(accepts(route({ bots: { name: "boris" } }), message())).toBe(false);
    expect(accepts(route({ bots: { name: "anna", tier: "free" } }), message())).toBe(false);
  });

  it("when a label key is an Object prototype property, then it does not match by accident", () => {
    expect(accepts(route({ bots: { toString: "x" } }), message())).toBe(false);
  });

  it("when the monitor alert comes, then the bots selector is ignored but minHealth applies", () => {
    const { bot: _bot, ...rest } = message();
    const monitor: AlertMessage = { ...rest, key: "monitor", scope: "monitor", severity: "down", health: "unknown" };
    expect(accepts(route({ bots: { tier: "vip" } }), monitor)).toBe(true);
    expect(accepts(route({ minHealth: "down", bots: { name: "nobody" } }), monitor)).toBe(true);
    expect(accepts(route({ minHealth: "down" }), { ...monitor, severity: "degraded" })).toBe(false);
  });

  it("when a test notification comes, then every channel accepts it whatever its selector", () => {
    expect(accepts(route({ minHealth: "down", bots: { tier: "nope" } }), message({ kind: "test", severity: "degraded" }))).toBe(true);
  });
});
