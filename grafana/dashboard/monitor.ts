/**
 * Monitor: secretary-watch's own health. Shards each replica owns, store and sweep errors, schedule lag,
 * and whether the last configuration reload took.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { statPanel, timeseriesPanel } from "./panels.ts";
import { fixedColor, paletteColor, query, stacking, thresholdColor, thresholds, valueMap, type Row } from "./shared.ts";

/** Errors as counts per interval, stacked bars: a single failure stays visible. */
const errorBars = (panel: timeseriesPanelArgs) =>
  timeseriesPanel(panel).unit("short").drawStyle(common.GraphDrawStyle.Bars).fillOpacity(60).stacking(stacking(common.StackingMode.Normal)).colorScheme(paletteColor());
type timeseriesPanelArgs = Parameters<typeof timeseriesPanel>[0];

export const monitor: Row = {
  row: new dashboard.RowBuilder("Monitor").id(31).gridPos({ x: 0, y: 110, w: 24, h: 1 }),
  panels: [
    timeseriesPanel({
      id: 32,
      title: "Shards owned per replica",
      description:
        "Shards each replica holds by lease and sweeps (secretary_shards_owned). Replicas on PostgreSQL share the shards; a single instance on SQLite or lowdb shows 0.",
      grid: { x: 0, y: 111, w: 6, h: 8 },
    })
      .withTarget(query("A", "sum by (instance) (secretary_shards_owned)", "{{instance}}"))
      .unit("short")
      .colorScheme(paletteColor()),
    errorBars({
      id: 33,
      title: "Store errors",
      description: "Store operations that failed, by operation (commit: retried every second; rollup, prune: retried at the next midnight or start). Each is logged.",
      grid: { x: 6, y: 111, w: 6, h: 8 },
    }).withTarget(query("A", "sum by (operation) (increase(secretary_store_errors_total[$__rate_interval]))", "{{operation}}")),
    errorBars({
      id: 34,
      title: "Sweep and alert errors",
      description: "Sweeps that ended in an error, and alert steps that failed (the alert is retried with the next sweep). Each is logged.",
      grid: { x: 12, y: 111, w: 6, h: 8 },
    })
      .withTarget(query("A", "sum(increase(secretary_sweep_errors_total[$__rate_interval]))", "sweep"))
      .withTarget(query("B", "sum(increase(secretary_alert_errors_total[$__rate_interval]))", "alert")),
    timeseriesPanel({
      id: 35,
      title: "Schedule lag (p95)",
      description: "95th percentile of the time from a sweep's slot to its start, per schedule (the sweep, or an own-interval check). A growing lag means the monitor cannot keep up.",
      grid: { x: 18, y: 111, w: 6, h: 8 },
    })
      .withTarget(query("A", "histogram_quantile(0.95, sum by (le, schedule) (rate(secretary_schedule_lag_seconds_bucket[$__rate_interval])))", "{{schedule}}"))
      .unit("s")
      .colorScheme(paletteColor()),
    statPanel({
      id: 36,
      title: "Last config reload",
      description:
        "Whether each instance's last configuration reload (SIGHUP or the admin endpoint) was applied (secretary_config_last_reload_successful). A failed reload leaves the previous configuration running.",
      grid: { x: 0, y: 119, w: 12, h: 4 },
    })
      .withTarget(query("A", "min by (instance) (secretary_config_last_reload_successful)", "{{instance}}"))
      .mappings([
        valueMap([
          ["1", "applied", "green"],
          ["0", "failed", "red"],
        ]),
      ])
      .colorScheme(thresholdColor())
      .thresholds(thresholds("red", [1, "green"]))
      .textMode(common.BigValueTextMode.ValueAndName)
      .colorMode(common.BigValueColorMode.Background),
    statPanel({
      id: 37,
      title: "Configuration age",
      description: "Time since each instance last applied a configuration (start or successful reload), from secretary_config_last_reload_success_timestamp_seconds.",
      grid: { x: 12, y: 119, w: 12, h: 4 },
    })
      .withTarget(query("A", "time() - max by (instance) (secretary_config_last_reload_success_timestamp_seconds)", "{{instance}}"))
      .unit("s")
      .decimals(0)
      .colorScheme(fixedColor("text"))
      .thresholds(thresholds("text"))
      .textMode(common.BigValueTextMode.ValueAndName),
  ],
};
