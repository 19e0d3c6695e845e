import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

/** The problems a config with this one `alerts.maintenance` entry (YAML flow mapping) gets, or its windows. */
function load(window: string): { problems: string[] } | { windows: unknown } {
  try {
    return { windows: parseConfig(`alerts:\n  maintenance:\n    - ${window}\n`, {}, "test config").alerts.maintenance };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems };
    throw err;
  }
}

describe("alerts.maintenance in the config", () => {
  it("when a window recurs on labels, then it loads with its duration in ms and no time zone of its own (UTC)", () => {
    expect(load(`{ labels: { tier: vip }, cron: "0 2 * * 7", duration: 1h, reason: weekly deploy }`)).toEqual({
      windows: [{ labels: { tier: "vip" }, cron: "0 2 * * 7", duration: 3_600_000, reason: "weekly deploy" }],
    });
  });

  it.each([
    [`{ bots: [anna], cron: "0 25 * * SUN", duration: 1h }`, 'alerts.maintenance[0].cron: expected a node-cron expression such as "0 2 * * SUN", got "0 25 * * SUN": 25 is a invalid expression for hour'],
    [`{ bots: [anna], cron: "every sunday", duration: 1h }`, 'alerts.maintenance[0].cron: expected a node-cron expression such as "0 2 * * SUN", got "every sunday": expected 5 or 6 fields but got 2'],
    [`{ bots: [anna], cron: 5, duration: 1h }`, 'alerts.maintenance[0].cron: expected a cron expression such as "0 2 * * SUN", got 5'],
    [`{ bots: [anna], cron: "0 2 * * SUN", timezone: Europe/Berln, duration: 1h }`, 'alerts.maintenance[0].timezone: unknown time zone "Europe/Berln", did you mean Europe/Berlin? (an IANA name such as Europe/Berlin, or UTC)'],
    [`{ bots: [anna], cron: "0 2 * * SUN", timezone: CEST, duration: 1h }`, 'alerts.maintenance[0].timezone: unknown time zone "CEST" (an IANA name such as Europe/Berlin, or UTC)'],
    [`{ bots: [anna], cron: "0 2 * * SUN", start: "2026-12-01T02:00:00Z", duration: 1h }`, "alerts.maintenance[0].cron: give either start (one window) or cron (a recurring one), not both"],
    [`{ bots: [anna], duration: 1h }`, "alerts.maintenance[0].start: give start (one window) or cron (a recurring one)"],
    [`{ cron: "0 2 * * SUN", duration: 1h }`, "alerts.maintenance[0].bots: name the bots under maintenance: bots (names), labels (label values), or both"],
    [`{ bots: [], labels: {}, cron: "0 2 * * SUN", duration: 1h }`, "alerts.maintenance[0].bots: name the bots under maintenance: bots (names), labels (label values), or both"],
    [`{ bots: [anna], start: "2026-12-01T02:00:00Z", timezone: UTC, duration: 1h }`, "alerts.maintenance[0].timezone: applies to cron only (start carries its own offset)"],
    [`{ labels: { name: anna }, cron: "0 2 * * SUN", duration: 1h }`, "alerts.maintenance[0].labels.name: select bots by name with bots, not a label"],
    [`{ bots: [anna], cron: "0 2 * * SUN" }`, "alerts.maintenance[0].duration: missing required key (expected a string)"],
  ])("when the window is %s, then the config error names the key", (window, problem) => {
    expect(load(window)).toEqual({ problems: [problem] });
  });
});
