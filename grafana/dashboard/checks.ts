/** Checks: each bot's health and each check's state over time, check durations and results. */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { timelinePanel, timeseriesPanel } from "./panels.ts";
import { HEALTH_MAPPING, HEALTH_NUMBER, paletteColor, query, stacking, thresholdColor, valueMap, type Row } from "./shared.ts";

/** Check states folded into one number, worst highest, in the order of the mapping below. */
const STATES = ["ok", "skipped", "unknown", "warn", "fail"] as const;
const stateNumber = STATES.map((state, value) => {
  const series = `max by (bot, check) (secretary_check_state{bot=~"$bot", check=~"$check", state="${state}"} == 1)`;
  return value === 1 ? series : `${series} * ${value}`;
})
  .reverse()
  .join("\nor ");

export const checks: Row = {
  row: new dashboard.RowBuilder("Checks").id(8).gridPos({ x: 0, y: 24, w: 24, h: 1 }),
  panels: [
    timelinePanel({ id: 9, title: "Bot health over time", description: "Each bot's health, sweep by sweep.", grid: { x: 0, y: 25, w: 24, h: 8 } })
      .withTarget(query("A", HEALTH_NUMBER.join("\n"), "{{bot}}"))
      .mappings([HEALTH_MAPPING])
      .colorScheme(thresholdColor()),
    timelinePanel({
      id: 10,
      title: "Checks per bot",
      description:
        "Each check of each bot, sweep by sweep: ok, skipped (a prerequisite did not pass), unknown (the monitor could not tell), warn, fail. Narrow it with the bot and check variables.",
      grid: { x: 0, y: 33, w: 24, h: 14 },
    })
      .withTarget(query("A", stateNumber, "{{bot}} · {{check}}"))
      .mappings([
        valueMap([
          ["0", "ok", "green"],
          ["1", "skipped", "text"],
          ["2", "unknown", "blue"],
          ["3", "warn", "yellow"],
          ["4", "fail", "red"],
        ]),
      ])
      .colorScheme(thresholdColor()),
    timeseriesPanel({
      id: 11,
      title: "Check duration (p95)",
      description: "95th percentile of the time one check took, Telegram calls included.",
      grid: { x: 0, y: 47, w: 12, h: 8 },
    })
      .withTarget(
        query("A", 'histogram_quantile(0.95, sum by (le, check) (rate(secretary_check_duration_seconds_bucket{check=~"$check"}[$__rate_interval])))', "{{check}}"),
      )
      .unit("s")
      .colorScheme(paletteColor()),
    timeseriesPanel({ id: 12, title: "Check results", description: "Checks run per second, by check and resulting status.", grid: { x: 12, y: 47, w: 12, h: 8 } })
      .withTarget(query("A", 'sum by (check, status) (rate(secretary_check_runs_total{check=~"$check"}[$__rate_interval]))', "{{check}} {{status}}"))
      .unit("ops")
      .stacking(stacking(common.StackingMode.Normal))
      .colorScheme(paletteColor()),
  ],
};
