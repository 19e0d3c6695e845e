import { describe, expect, it } from "vitest";
import { botHealth, fleetStatus } from "../src/health.ts";
import type { CheckResult, CheckStatus, Impact } from "../src/model.ts";

const r = (status: CheckStatus, impact?: Impact): CheckResult => ({
  check: "x",
  status,
  ...(impact && { impact }),
  durationMs: 0,
  at: "2026-11-24T00:00:00Z",
  since: "2026-11-24T00:00:00Z",
});

describe("botHealth", () => {
  it.each([
    ["all ok", [r("ok"), r("ok")], "healthy"],
    ["skipped only besides ok", [r("ok"), r("skipped")], "healthy"],
    ["a down-impact fail", [r("ok"), r("fail", "down")], "down"],
    ["a degraded-impact fail", [r("ok"), r("fail", "degraded")], "degraded"],
    ["a warn", [r("ok"), r("warn")], "degraded"],
    ["an unknown", [r("ok"), r("unknown"), r("skipped")], "unknown"],
    ["unknown and a warn", [r("unknown"), r("warn")], "degraded"],
    ["unknown and a down fail", [r("unknown"), r("fail", "down")], "down"],
    ["down fail after a warn", [r("warn"), r("fail", "down")], "down"],
  ] as const)("when %s, then the bot is %s", (_name, results, expected) => {
    expect(botHealth(results)).toBe(expected);
  });
});

describe("fleetStatus", () => {
  it("when any bot is down, then the fleet is down", () => expect(fleetStatus(["healthy", "down", "unknown"])).toBe("down"));
  it("when a bot is unknown, then the fleet counts it as degraded", () => expect(fleetStatus(["healthy", "unknown"])).toBe("degraded"));
  it("when all are healthy, then the fleet is healthy", () => expect(fleetStatus(["healthy", "healthy"])).toBe("healthy"));
  it("when there are no bots, then the fleet is healthy", () => expect(fleetStatus([])).toBe("healthy"));
});
